import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { OriginPolicy } from '../../servers/http/origin-policy.ts'
import { LabSocket, startLabHarness, type LabHarness } from './lab-harness.ts'

let harness: LabHarness

beforeAll(async () => {
  harness = await startLabHarness({ originPolicy: new OriginPolicy(['http://lab.example']) })
})

afterAll(async () => {
  await harness.close()
})

/** The status an upgrade from `origin` is answered with, and the body of a refusal. */
function upgrade(origin: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${harness.wsUrl}/labs/chat`, { origin })
    socket.on('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() })
        socket.terminate()
      })
    })
    socket.on('open', () => {
      resolve({ status: 101, body: '' })
      socket.close()
    })
    socket.on('error', (error) => {
      // 'unexpected-response' handled the refusal; anything else is a test failure.
      if (!/403/.test(error.message)) reject(error)
    })
  })
}

describe('labs Origin allowlist', () => {
  it('refuses an upgrade from a foreign origin with 403 and a JSON error, and accepts an allowed one', async () => {
    const refused = await upgrade('http://evil.example')
    expect(refused.status).toBe(403)
    expect(JSON.parse(refused.body)).toMatchObject({ type: 'error', code: 'origin-refused' })
    expect((await upgrade('http://lab.example')).status).toBe(101)
  })

  it('refuses streams and POSTs from a foreign origin with a JSON error', async () => {
    const stream = await fetch(`${harness.baseUrl}/labs/chat/sse`, {
      headers: { Origin: 'http://evil.example' },
    })
    expect(stream.status).toBe(403)
    expect(await stream.json()).toMatchObject({ type: 'error', code: 'origin-refused' })
    const post = await fetch(`${harness.baseUrl}/labs/broadcast`, {
      method: 'POST',
      headers: { Origin: 'http://evil.example' },
      body: 'injected',
    })
    expect(post.status).toBe(403)
  })

  it('lets clients without Origin (not browsers) through, as the policy says', async () => {
    const client = await LabSocket.open(`${harness.wsUrl}/labs/echo`)
    expect(await client.nextOfType('hello')).toMatchObject({ lab: 'echo' })
    client.close()
  })
})

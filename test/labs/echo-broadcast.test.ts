import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LabSocket, LabStream, startLabHarness, type LabHarness } from './lab-harness.ts'

let harness: LabHarness

beforeAll(async () => {
  harness = await startLabHarness()
})

afterAll(async () => {
  await harness.close()
})

describe('echo lab', () => {
  it('greets a WebSocket client with hello naming the lab and a session', async () => {
    const client = await LabSocket.open(`${harness.wsUrl}/labs/echo`)
    const hello = await client.nextOfType('hello')
    expect(hello).toMatchObject({ lab: 'echo', transport: 'websocket' })
    expect(typeof hello['session']).toBe('string')
    client.close()
  })

  it('echoes WebSocket text as an echo message with a server time', async () => {
    const client = await LabSocket.open(`${harness.wsUrl}/labs/echo`)
    const before = performance.timeOrigin + performance.now()
    client.send('hello, echo')
    const echo = await client.nextOfType('echo')
    expect(echo['data']).toBe('hello, echo')
    expect(echo['t']).toBeGreaterThanOrEqual(before)
    client.close()
  })

  it('echoes WebSocket binary byte for byte', async () => {
    const client = await LabSocket.open(`${harness.wsUrl}/labs/echo`)
    await client.nextOfType('hello')
    const bytes = Buffer.from([0, 1, 2, 254, 255])
    client.socket.send(bytes)
    // Replies keep order on one socket: once the later text echo is back, so is the binary one.
    client.send('after binary')
    await client.nextOfType('echo')
    expect(client.binary).toHaveLength(1)
    expect(Buffer.compare(client.binary[0] ?? Buffer.alloc(0), bytes)).toBe(0)
    client.close()
  })

  it('echoes a POST on the SSE stream whose session it names', async () => {
    const stream = await LabStream.open(harness.baseUrl, 'echo')
    const reply = await stream.post('over sse')
    expect(reply.status).toBe(202)
    const echo = await stream.nextOfType('echo')
    expect(echo['data']).toBe('over sse')
    stream.close()
  })

  it('answers a POST without a session or with an unknown one with a JSON error', async () => {
    const missing = await fetch(`${harness.baseUrl}/labs/echo`, { method: 'POST', body: 'x' })
    expect(missing.status).toBe(400)
    expect(await missing.json()).toMatchObject({ type: 'error', code: 'session-missing' })
    const unknown = await fetch(`${harness.baseUrl}/labs/echo?session=nope`, {
      method: 'POST',
      body: 'x',
    })
    expect(unknown.status).toBe(404)
    expect(await unknown.json()).toMatchObject({ type: 'error', code: 'unknown-session' })
  })

  it('refuses a POST body over 64 KiB with 413 and keeps the stream', async () => {
    const stream = await LabStream.open(harness.baseUrl, 'echo')
    const reply = await stream.post('x'.repeat(64 * 1024 + 1))
    expect(reply.status).toBe(413)
    expect(reply.body).toMatchObject({ type: 'error', code: 'too-large' })
    await stream.post('still here')
    expect((await stream.nextOfType('echo'))['data']).toBe('still here')
    stream.close()
  })

  it('closes a WebSocket that sends more than 64 KiB with 1009', async () => {
    const client = await LabSocket.open(`${harness.wsUrl}/labs/echo`)
    client.send('x'.repeat(64 * 1024 + 1))
    expect((await client.closed).code).toBe(1009)
  })
})

describe('broadcast lab', () => {
  it('delivers one message to every WebSocket and SSE client, the sender too', async () => {
    const sender = await LabSocket.open(`${harness.wsUrl}/labs/broadcast`)
    const other = await LabSocket.open(`${harness.wsUrl}/labs/broadcast`)
    const stream = await LabStream.open(harness.baseUrl, 'broadcast')
    const senderHello = await sender.nextOfType('hello')
    await other.nextOfType('hello')
    sender.send('to everyone')
    for (const client of [sender, other, stream]) {
      const message = await client.nextOfType('broadcast')
      expect(message).toMatchObject({ data: 'to everyone', from: senderHello['session'] })
    }
    for (const client of [sender, other, stream]) client.close()
  })

  it('takes an anonymous POST and delivers it from "http"', async () => {
    const listener = await LabSocket.open(`${harness.wsUrl}/labs/broadcast`)
    await listener.nextOfType('hello')
    const reply = await fetch(`${harness.baseUrl}/labs/broadcast`, {
      method: 'POST',
      body: 'posted',
    })
    expect(reply.status).toBe(202)
    expect(await listener.nextOfType('broadcast')).toMatchObject({ data: 'posted', from: 'http' })
    listener.close()
  })

  it('answers a binary frame with an error and keeps the socket', async () => {
    const client = await LabSocket.open(`${harness.wsUrl}/labs/broadcast`)
    client.socket.send(Buffer.from([1, 2, 3]))
    expect(await client.nextOfType('error')).toMatchObject({ code: 'binary-unsupported' })
    client.send('after')
    expect((await client.nextOfType('broadcast'))['data']).toBe('after')
    client.close()
  })
})

describe('labs router and upgrade dispatch', () => {
  it('lists the labs at GET /labs', async () => {
    const response = await fetch(`${harness.baseUrl}/labs`)
    const body = (await response.json()) as { endpoints: { lab: string }[] }
    expect(body.endpoints.map((endpoint) => endpoint.lab)).toEqual([
      'echo',
      'broadcast',
      'chat',
      'whiteboard',
    ])
  })

  it('answers an unknown lab with 404 JSON', async () => {
    const response = await fetch(`${harness.baseUrl}/labs/nope/sse`)
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ type: 'error', code: 'unknown-lab' })
  })

  it('leaves upgrades for other paths to the caller', async () => {
    await expect(LabSocket.open(`${harness.wsUrl}/ws`)).rejects.toThrow(/404/)
  })
})

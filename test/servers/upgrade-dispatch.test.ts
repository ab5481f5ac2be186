/**
 * One 'upgrade' listener routes every WebSocket handshake to exactly one owner: the feed
 * at /ws, the labs under /labs/, and a 404 naming the endpoints for anything else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { rawRequest } from '../protocol/raw-websocket.ts'

let server: RunningServer
let wsBase: string

beforeAll(async () => {
  server = await startServer({ port: 0, rate: 50, serveSite: false })
  wsBase = server.url.replace(/^http/, 'ws')
})

afterAll(async () => {
  await server.close()
})

/** Opens a socket and resolves with its first `count` text messages. */
async function firstMessages(url: string, count: number, send?: string): Promise<string[]> {
  const socket = new WebSocket(url)
  const messages: string[] = []
  try {
    return await new Promise<string[]>((resolve, reject) => {
      socket.on('error', reject)
      socket.on('open', () => {
        if (send !== undefined) socket.send(send)
      })
      socket.on('message', (data: Buffer) => {
        messages.push(data.toString())
        if (messages.length === count) resolve(messages)
      })
      setTimeout(() => {
        reject(new Error(`only ${messages.length} of ${count} messages from ${url}`))
      }, 5_000)
    })
  } finally {
    socket.terminate()
  }
}

describe('the upgrade dispatcher', () => {
  it('hands /ws to the feed transport', async () => {
    const [first] = await firstMessages(`${wsBase}/ws`, 1)
    expect(first).toMatch(/^\{"type":"snapshot"/)
  })

  it('hands /labs/echo to the labs on the same port, and echoes', async () => {
    const messages = await firstMessages(`${wsBase}/labs/echo`, 2, 'hello lab')
    expect(
      messages.some((text) => text.includes('"type":"echo"') && text.includes('hello lab')),
    ).toBe(true)
  })

  it('serves the labs over HTTP at /labs', async () => {
    const response = await fetch(`${server.url}/labs/chat/rooms`)
    expect(response.status).toBe(200)
  })

  it('answers an upgrade to a path nobody owns with 404 and keeps serving /ws', async () => {
    const url = new URL(server.url)
    const status = await rawRequest(
      server.url,
      [
        'GET /nowhere HTTP/1.1',
        `Host: ${url.host}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        '',
        '',
      ].join('\r\n'),
    )
    expect(status).toBe(404)
    const [first] = await firstMessages(`${wsBase}/ws`, 1)
    expect(first).toMatch(/^\{"type":"snapshot"/)
  })
})

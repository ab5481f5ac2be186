/**
 * A client that stops reading is closed once its unsent buffer passes the bound
 * (WebSocket 4008, SSE stream cut), while the other clients keep receiving.
 */
import { request } from 'node:http'
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { openClient, type FeedClient } from '../conformance/feed-clients.ts'

let server: RunningServer
let watcher: FeedClient

// Big frames fill the loopback socket buffers quickly, so the server-side bound is reached in seconds.
beforeAll(async () => {
  server = await startServer({
    port: 0,
    rate: 100,
    pad: 60_000,
    maxBufferedBytes: 256 * 1024,
    history: 50,
    serveSite: false,
  })
  watcher = await openClient('websocket', server.url)
})

afterAll(async () => {
  watcher.kill()
  await server.close()
})

async function slowCloses(protocol: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`realtime_slow_consumer_closes_total{protocol="${protocol}"}`))
  return line === undefined ? 0 : Number(line.split(' ')[1])
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}

describe('slow consumers', () => {
  it('closes a WebSocket that stops reading with 4008 while others keep receiving', async () => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`)
    await new Promise((resolve) => ws.once('open', resolve))
    const closed = new Promise<number>((resolve) => ws.once('close', resolve))
    // Stop reading: the kernel buffers fill, then the server's queue grows.
    const socket = (ws as unknown as { _socket: Socket })._socket
    socket.pause()
    expect(await until(async () => (await slowCloses('websocket')) >= 1, 20_000)).toBe(true)
    const from = watcher.messages.length
    await watcher.waitFor((m) => m.type === 'frame', 3000, from)
    socket.resume()
    expect(await closed).toBe(4008)
  })

  it('ends an SSE stream that stops reading while others keep receiving', async () => {
    let resume = (): void => undefined
    const ended = new Promise<string>((resolve) => {
      const req = request(`${server.url}/sse`, (res) => {
        expect(res.statusCode).toBe(200)
        // Stop reading; resumed below so the cut connection can be observed.
        res.pause()
        resume = () => res.resume()
        res.once('close', () => {
          resolve('closed')
        })
        res.once('error', () => {
          resolve('error')
        })
      })
      req.once('error', () => {
        resolve('error')
      })
      req.end()
    })
    expect(await until(async () => (await slowCloses('sse')) >= 1, 20_000)).toBe(true)
    const from = watcher.messages.length
    await watcher.waitFor((m) => m.type === 'frame', 3000, from)
    resume()
    expect(['closed', 'error']).toContain(await ended)
  })
})

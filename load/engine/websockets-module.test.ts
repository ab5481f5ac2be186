import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocketServer } from 'ws'
import { MetricSink } from './metric-sink.ts'
import type { SeriesBatch } from './metric-types.ts'
import { createWebSocketsModule } from './modules/websockets.ts'
import { VuContext } from './vu-context.ts'

interface K6Socket {
  readyState: number
  protocol: string
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: string | ArrayBuffer }) => void) | null
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null
  onerror: ((event: { error: string }) => void) | null
  send(data: string | ArrayBuffer | ArrayBufferView): void
  close(code?: number, reason?: string): void
  addEventListener(name: string, listener: (event: unknown) => void): void
  release(): void
}
type K6SocketConstructor = new (
  url: string,
  protocols?: string | string[] | null,
  params?: { headers?: Record<string, string>; tags?: Record<string, string> } | null,
) => K6Socket

function vuWithSink(): { vu: VuContext; sink: MetricSink; WebSocket: K6SocketConstructor } {
  const sink = new MetricSink(false)
  const vu = new VuContext({ id: 7, scenario: undefined, scenarioStartTime: 0, sink, env: {} })
  const WebSocket = createWebSocketsModule(vu)['WebSocket'] as K6SocketConstructor
  return { vu, sink, WebSocket }
}

/** Sum of a metric's samples over the batches (and the tags those batches carry). */
function totals(
  batches: SeriesBatch[],
  name: string,
): { sum: number; count: number; tags: Record<string, string>[] } {
  const mine = batches.filter((b) => b.metric.name === name)
  return {
    sum: mine.reduce((total, b) => total + b.sum, 0),
    count: mine.reduce((total, b) => total + b.count, 0),
    tags: mine.map((b) => b.tags),
  }
}

const servers: WebSocketServer[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate()
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve()
      })
    })
  }
  vi.restoreAllMocks()
})

async function echoServer(): Promise<string> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  servers.push(server)
  await new Promise<void>((resolve) => server.once('listening', resolve))
  server.on('connection', (socket) => {
    socket.on('message', (data: Buffer, isBinary) => {
      socket.send(data, { binary: isBinary })
    })
  })
  return `ws://127.0.0.1:${String((server.address() as AddressInfo).port)}`
}

describe('k6/websockets on the lean client', () => {
  it("reports k6's metric names, with the url tag stripped of its query and the script's tags", async () => {
    const url = await echoServer()
    const { sink, WebSocket } = vuWithSink()
    const received: (string | ArrayBuffer)[] = []
    const closed = new Promise<{ code: number; wasClean: boolean }>((resolve) => {
      const socket = new WebSocket(`${url}/ws?epoch=x&since=4`, null, { tags: { room: 'a' } })
      expect(socket.readyState).toBe(0)
      socket.onopen = () => {
        socket.send('hello')
        socket.send(new Uint8Array([1, 2, 3]))
      }
      socket.onmessage = (event) => {
        received.push(event.data)
        if (received.length === 2) socket.close(1000)
      }
      socket.onclose = resolve
    })
    expect(await closed).toMatchObject({ code: 1000, wasClean: true })
    expect(received[0]).toBe('hello')
    expect(received[1]).toBeInstanceOf(ArrayBuffer)
    expect([...new Uint8Array(received[1] as ArrayBuffer)]).toEqual([1, 2, 3])
    const batches = sink.cut()
    const expectedTags = { url: `${url}/ws`, room: 'a' }
    expect(totals(batches, 'ws_msgs_received')).toEqual({ sum: 2, count: 2, tags: [expectedTags] })
    expect(totals(batches, 'ws_msgs_sent')).toEqual({ sum: 2, count: 2, tags: [expectedTags] })
    expect(totals(batches, 'ws_sessions')).toEqual({ sum: 1, count: 1, tags: [expectedTags] })
    expect(totals(batches, 'ws_connecting').count).toBe(1)
    expect(totals(batches, 'ws_session_duration').count).toBe(1)
    // Bytes on the wire: the upgrade request (over 150 bytes) and three masked frames
    // (5 + 3 payload bytes, a 2-byte close code, 6 header bytes each), not just the payloads.
    expect(totals(batches, 'data_sent').sum).toBeGreaterThanOrEqual(150 + 8 + 2 + 3 * 6)
    expect(totals(batches, 'data_received').sum).toBeGreaterThan(100)
    expect(batches.find((b) => b.metric.name === 'ws_connecting')?.metric.contains).toBe('time')
    expect(batches.find((b) => b.metric.name === 'data_sent')?.metric.contains).toBe('data')
  })

  it('prints an exception thrown by a handler and keeps the socket and the thread going', async () => {
    const url = await echoServer()
    const { WebSocket } = vuWithSink()
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
    let messages = 0
    const closed = new Promise<number>((resolve) => {
      const socket = new WebSocket(url)
      socket.onopen = () => {
        socket.send('one')
        socket.send('two')
      }
      socket.addEventListener('message', () => {
        messages++
        if (messages === 2) socket.close(1000)
      })
      socket.onmessage = () => {
        throw new Error('handler failed on purpose')
      }
      socket.onclose = (event) => {
        resolve(event.code)
      }
    })
    expect(await closed).toBe(1000)
    expect(messages).toBe(2)
    expect(
      stderr.mock.calls.some(([text]) => String(text).includes('handler failed on purpose')),
    ).toBe(true)
  })

  it('drops open sockets on a hard stop (1006) and reports a refused connection as error then close', async () => {
    const url = await echoServer()
    const { vu, WebSocket } = vuWithSink()
    const opened = new Promise<K6Socket>((resolve) => {
      const socket = new WebSocket(url)
      socket.onopen = () => {
        resolve(socket)
      }
    })
    const socket = await opened
    expect(vu.resources.size).toBeGreaterThan(0)
    const dropped = new Promise<number>((resolve) => {
      socket.onclose = (event) => {
        resolve(event.code)
      }
    })
    vu.releaseAll()
    expect(await dropped).toBe(1006)
    const refused = new Promise<string[]>((resolve) => {
      const seen: string[] = []
      const s = new WebSocket('ws://127.0.0.1:1/')
      s.onerror = (event) => seen.push(`error ${event.error}`)
      s.onclose = (event) => {
        seen.push(`close ${String(event.code)}`)
        resolve(seen)
      }
    })
    expect(await refused).toEqual([
      expect.stringMatching(/^error .*ECONNREFUSED/) as unknown,
      'close 1006',
    ])
    vu.releaseAll()
  })
})

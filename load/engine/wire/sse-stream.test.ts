/**
 * SSE streams on the lean socket against a raw `net` server that writes chunked event
 * streams byte by byte.
 */
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import type { EventSourceMessage } from 'eventsource-parser'
import { afterEach, describe, expect, it } from 'vitest'
import type { HttpFailure } from './http-errors.ts'
import { openSseStream } from './sse-stream.ts'

const servers: Server[] = []

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => {
            resolve()
          })
        }),
    ),
  )
})

async function rawServer(onRequest: (socket: Socket, head: string) => void): Promise<string> {
  const server = createServer((socket) => {
    let pending = ''
    socket.on('error', () => undefined)
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1')
      const end = pending.indexOf('\r\n\r\n')
      if (end !== -1) onRequest(socket, pending.slice(0, end))
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return `http://127.0.0.1:${address.port}`
}

function chunk(text: string): Buffer {
  const data = Buffer.from(text)
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')])
}

interface Seen {
  status: number
  headers: Record<string, string>
  events: EventSourceMessage[]
  bytes: number
  failure: HttpFailure | undefined
}

function collect(url: string, headers: Record<string, string> = {}): Promise<Seen> {
  return new Promise((resolve) => {
    const seen: Seen = { status: 0, headers: {}, events: [], bytes: 0, failure: undefined }
    openSseStream(
      url,
      { method: 'GET', headers },
      {
        onHead(status, responseHeaders) {
          seen.status = status
          seen.headers = responseHeaders
        },
        onEvent(event) {
          // The parser may reuse nothing, but the module does: copy as a script would.
          seen.events.push({ ...event })
        },
        onBytes(bytes) {
          seen.bytes += bytes
        },
        onClose(failure) {
          seen.failure = failure
          resolve(seen)
        },
      },
    )
  })
}

const STREAM_HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n'

describe('openSseStream', () => {
  it('parses id, event and data fields of events split across reads at every byte', async () => {
    const body =
      'retry: 1000\n\n: comment\n\nevent: session\ndata: {"id":"s1"}\n\nid: e:1\ndata: {"type":"frame","seq":1,"ü":"€"}\n\nid: e:2\ndata: line one\ndata: line two\n\n'
    const wire = Buffer.concat([
      Buffer.from(STREAM_HEAD),
      chunk(body.slice(0, 40)),
      chunk(body.slice(40)),
      Buffer.from('0\r\n\r\n'),
    ])
    const url = await rawServer((socket) => {
      // One byte per write, each after the previous one left: reads split everywhere.
      let i = 0
      const next = (): void => {
        if (i >= wire.length) return
        socket.write(wire.subarray(i, i + 1), next)
        i++
      }
      next()
    })
    const seen = await collect(url)
    expect(seen.failure).toBeUndefined()
    expect(seen.status).toBe(200)
    expect(seen.headers['Content-Type']).toBe('text/event-stream')
    expect(seen.events).toEqual([
      { id: undefined, event: 'session', data: '{"id":"s1"}' },
      { id: 'e:1', event: undefined, data: '{"type":"frame","seq":1,"ü":"€"}' },
      { id: 'e:2', event: undefined, data: 'line one\nline two' },
    ])
    expect(seen.bytes).toBe(wire.length)
  })

  it('sends the request headers it is given (Last-Event-ID on a resume)', async () => {
    let request = ''
    const url = await rawServer((socket, head) => {
      request = head
      socket.end(Buffer.concat([Buffer.from(STREAM_HEAD), Buffer.from('0\r\n\r\n')]))
    })
    await collect(`${url}/sse`, { Accept: 'text/event-stream', 'Last-Event-ID': 'e:41' })
    expect(request).toMatch(/^GET \/sse HTTP\/1\.1\r\n/)
    expect(request).toContain('\r\nLast-Event-ID: e:41')
    expect(request).toContain('\r\nAccept: text/event-stream')
  })

  it('reports a refused connection as a failure with k6 code 1212', async () => {
    const url = await rawServer(() => undefined)
    await new Promise<void>((resolve) =>
      servers.pop()?.close(() => {
        resolve()
      }),
    )
    const seen = await collect(url)
    expect(seen.failure).toEqual({ code: 1212, message: 'dial: connection refused' })
  })

  it('reports a stream cut without its last chunk as unexpected EOF', async () => {
    const url = await rawServer((socket) => {
      socket.end(Buffer.concat([Buffer.from(STREAM_HEAD), chunk('data: x\n\n')]))
    })
    const seen = await collect(url)
    expect(seen.events).toHaveLength(1)
    expect(seen.failure?.message).toBe('unexpected EOF')
  })

  it('stops dispatching once closed from an event handler', async () => {
    const url = await rawServer((socket) => {
      socket.write(
        Buffer.concat([Buffer.from(STREAM_HEAD), chunk('data: 1\n\ndata: 2\n\ndata: 3\n\n')]),
      )
    })
    const events: string[] = []
    await new Promise<void>((resolve) => {
      const stream = openSseStream(
        url,
        { method: 'GET', headers: {} },
        {
          onHead: () => undefined,
          onBytes: () => undefined,
          onEvent(event) {
            events.push(event.data)
            if (event.data === '2') stream.close()
          },
          onClose() {
            resolve()
          },
        },
      )
    })
    expect(events).toEqual(['1', '2'])
  })
})

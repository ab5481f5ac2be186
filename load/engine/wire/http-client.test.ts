/**
 * The lean HTTP client against raw `net` servers this test controls byte by byte.
 */
import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { HttpClient } from './http-client.ts'
import { K6_ERROR_CODES } from './http-errors.ts'

interface RawServer {
  url: string
  /** Connections accepted so far. */
  connections: number
  /** Requests read so far (heads, in order). */
  requests: string[]
  close(): Promise<void>
}

const servers: Server[] = []
const clients: HttpClient[] = []

afterEach(async () => {
  for (const client of clients.splice(0)) client.close('test over')
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

/**
 * A server that calls `reply(socket, head, n)` for every request head it reads (n counts the
 * requests on that connection from 0). Request bodies are not expected.
 */
async function rawServer(
  reply: (socket: Socket, head: string, n: number) => void,
): Promise<RawServer> {
  const state: RawServer = {
    url: '',
    connections: 0,
    requests: [],
    close: () => Promise.resolve(),
  }
  const server = createServer((socket) => {
    state.connections++
    // Small writes go out at once, each its own segment (no Nagle wait for the ACK).
    socket.setNoDelay(true)
    let pending = ''
    let n = 0
    socket.on('error', () => undefined)
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1')
      let end = pending.indexOf('\r\n\r\n')
      while (end !== -1) {
        const head = pending.slice(0, end)
        pending = pending.slice(end + 4)
        state.requests.push(head)
        reply(socket, head, n++)
        end = pending.indexOf('\r\n\r\n')
      }
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  state.url = `http://127.0.0.1:${address.port}`
  return state
}

function newClient(): HttpClient {
  const client = new HttpClient()
  clients.push(client)
  return client
}

const get = (client: HttpClient, url: string, headers?: Record<string, string>) =>
  client.request({ method: 'GET', url, headers, timeoutMs: 5000 })

function okResponse(body: string, extra = ''): string {
  return `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

describe('HttpClient', () => {
  it('keeps one connection alive for many requests', async () => {
    const server = await rawServer((socket, head) => {
      socket.write(okResponse(head.split(' ')[1] ?? ''))
    })
    const client = newClient()
    for (let i = 0; i < 20; i++) {
      const result = await get(client, `${server.url}/item/${i}?q=${i}`)
      expect(result.status).toBe(200)
      expect(result.body).toBe(`/item/${i}?q=${i}`)
    }
    expect(server.connections).toBe(1)
    expect(server.requests[0]).toMatch(/^GET \/item\/0\?q=0 HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+$/)
  })

  it('reads Content-Length and chunked bodies written in two pieces cut at every byte', async () => {
    const body = '{"epoch":"e","next":3,"messages":["ünïcode"]}'
    const plain = Buffer.from(okResponse(body, 'ETag: "x"\r\n'))
    const chunked = Buffer.from(
      `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(body.slice(0, 10)).toString(16)}\r\n${body.slice(0, 10)}\r\n${Buffer.byteLength(body.slice(10)).toString(16)}\r\n${body.slice(10)}\r\n0\r\n\r\n`,
    )
    for (const wire of [plain, chunked]) {
      const server = await rawServer((socket, head) => {
        const cut = Number(/cut=(\d+)/.exec(head)?.[1])
        socket.write(wire.subarray(0, cut))
        setTimeout(() => socket.write(wire.subarray(cut)), 1)
      })
      const client = newClient()
      for (let cut = 0; cut <= wire.length; cut++) {
        const result = await get(client, `${server.url}/?cut=${cut}`)
        expect(result.error).toBe('')
        expect(result.body).toBe(body)
        expect(result.bytesReceived).toBe(wire.length)
      }
      expect(server.connections).toBe(1)
    }
  })

  it('answers 304 with its ETag and no body, and reuses the connection after it', async () => {
    const server = await rawServer((socket, head) => {
      if (head.includes('If-None-Match: "e:7"'))
        socket.write('HTTP/1.1 304 Not Modified\r\nETag: "e:7"\r\n\r\n')
      else socket.write(okResponse('fresh', 'ETag: "e:7"\r\n'))
    })
    const client = newClient()
    const first = await get(client, server.url)
    expect(first.headers['Etag']).toBe('"e:7"')
    const second = await get(client, server.url, { 'If-None-Match': first.headers['Etag'] ?? '' })
    expect(second.status).toBe(304)
    expect(second.statusText).toBe('304 Not Modified')
    expect(second.body).toBe('')
    expect(second.headers['Etag']).toBe('"e:7"')
    expect((await get(client, server.url)).body).toBe('fresh')
    expect(server.connections).toBe(1)
  })

  it('opens a new connection after the server closed an idle one', async () => {
    const server = await rawServer((socket) => {
      socket.write(okResponse('ok'))
      setTimeout(() => socket.end(), 20)
    })
    const client = newClient()
    expect((await get(client, server.url)).status).toBe(200)
    await pause(100)
    const again = await get(client, server.url)
    expect(again.status).toBe(200)
    expect(again.error).toBe('')
    expect(server.connections).toBe(2)
  })

  it('retries an idempotent request once when a reused connection dies before any reply byte', async () => {
    // The server answers the first request of a connection and drops the next ones unanswered:
    // what a client sees when its request crosses the server's idle-close.
    const server = await rawServer((socket, _head, n) => {
      if (n === 0) socket.write(okResponse('first'))
      else socket.destroy()
    })
    const client = newClient()
    expect((await get(client, server.url)).body).toBe('first')
    const retried = await get(client, server.url)
    expect(retried.status).toBe(200)
    expect(retried.body).toBe('first')
    expect(server.connections).toBe(2)
    expect(server.requests).toHaveLength(3)
    // POST is not idempotent: it fails instead of being sent twice.
    const posted = await client.request({
      method: 'POST',
      url: server.url,
      body: 'x',
      timeoutMs: 5000,
    })
    expect(posted.status).toBe(0)
    expect(posted.errorCode).toBe(K6_ERROR_CODES.generic)
    expect(posted.error).toBe('unexpected EOF')
  })

  it('closes the connection after a Connection: close reply', async () => {
    const server = await rawServer((socket) => {
      socket.write(okResponse('bye', 'Connection: close\r\n'))
    })
    const client = newClient()
    expect((await get(client, server.url)).body).toBe('bye')
    expect((await get(client, server.url)).body).toBe('bye')
    expect(server.connections).toBe(2)
  })

  it('times out with k6 error 1050 "request timeout"', async () => {
    const server = await rawServer(() => undefined)
    const client = newClient()
    const result = await client.request({ method: 'GET', url: server.url, timeoutMs: 100 })
    expect(result.status).toBe(0)
    expect(result.errorCode).toBe(1050)
    expect(result.error).toBe('request timeout')
    expect(result.timings.duration).toBeGreaterThanOrEqual(90)
  })

  it('reports a refused connection as k6 error 1212 "dial: connection refused"', async () => {
    const server = await rawServer(() => undefined)
    const url = server.url
    await new Promise<void>((resolve) =>
      servers.pop()?.close(() => {
        resolve()
      }),
    )
    const result = await get(newClient(), url)
    expect(result.status).toBe(0)
    expect(result.errorCode).toBe(1212)
    expect(result.error).toBe('dial: connection refused')
  })

  it('reports a reset as 1220, a malformed reply as 1000, and a bad URL as 1020', async () => {
    const reset = await rawServer((socket) => {
      socket.resetAndDestroy()
    })
    const resetResult = await get(newClient(), reset.url)
    expect(resetResult.errorCode).toBe(1220)
    expect(resetResult.error).toBe('read: connection reset by peer')
    const garbage = await rawServer((socket) => {
      socket.write('SSH-2.0-nope\r\n\r\n')
    })
    const garbageResult = await get(newClient(), garbage.url)
    expect(garbageResult.errorCode).toBe(1000)
    expect(garbageResult.error).toMatch(/malformed HTTP response: bad status line/)
    const bad = await get(newClient(), 'ftp://example.invalid/x')
    expect(bad.errorCode).toBe(1020)
  })

  it('gives an HTTP error status k6 error code 1000 + status with an empty error', async () => {
    const server = await rawServer((socket) => {
      socket.write('HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope')
    })
    const result = await get(newClient(), server.url)
    expect(result.status).toBe(404)
    expect(result.errorCode).toBe(1404)
    expect(result.error).toBe('')
    expect(result.body).toBe('nope')
  })

  it('opens a second connection only while the first is busy', async () => {
    const server = await rawServer((socket, head) => {
      setTimeout(() => socket.write(okResponse(head.slice(4, 10))), 20)
    })
    const client = newClient()
    const [a, b] = await Promise.all([
      get(client, `${server.url}/a`),
      get(client, `${server.url}/b`),
    ])
    expect([a.body, b.body]).toEqual(['/a HTT', '/b HTT'])
    expect(server.connections).toBe(2)
    await get(client, `${server.url}/c`)
    expect(server.connections).toBe(2)
  })

  it('refuses a header value with a line break', async () => {
    await expect(
      get(newClient(), 'http://127.0.0.1:9/', { 'X-A': 'b\r\nInjected: 1' }),
    ).rejects.toThrow(/line break/)
  })
})

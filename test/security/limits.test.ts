/**
 * Per-client limits on real servers: connections per address (429 at the handshake on
 * WebSocket, SSE and long poll), messages per WebSocket per second (close 1008 "rate"),
 * poll requests per address (429 with Retry-After), X-Forwarded-For read only with
 * trustProxy, and the slowloris bounds: headers that never finish are cut, while a long
 * poll held longer than requestTimeout is not.
 */
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import type { PollReply } from '../../servers/feed/messages.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { closed, collected, handshake, readStream } from './security-clients.ts'

let server: RunningServer | undefined

afterEach(async () => {
  await server?.close()
  server = undefined
})

const wsOf = (running: RunningServer, path = '/ws') =>
  `${running.url.replace(/^http/, 'ws')}${path}`

describe('maxConnectionsPerIp', () => {
  it('refuses the connection past the limit with 429 on every streaming protocol', async () => {
    server = await startServer({ port: 0, rate: 50, serveSite: false, maxConnectionsPerIp: 2 })
    const first = await handshake(wsOf(server))
    const second = await handshake(wsOf(server))
    expect(first.opened && second.opened).toBe(true)
    const third = await handshake(wsOf(server))
    expect(third.opened).toBe(false)
    if (!third.opened) {
      expect(third.status).toBe(429)
      expect(JSON.parse(third.body)).toMatchObject({ code: 'too-many-connections' })
    }
    for (const path of ['/sse', '/poll/long?wait=0']) {
      const response = await fetch(`${server.url}${path}`)
      expect(response.status, path).toBe(429)
      await response.arrayBuffer()
    }
    // The open sockets keep flowing, and a freed slot is usable again.
    if (first.opened) {
      const count = first.messages.length
      expect((await collected(first, count + 3)).length).toBeGreaterThanOrEqual(count + 3)
      first.ws.close()
      await closed(first.ws)
    }
    const sse = await fetch(`${server.url}/sse`)
    expect(sse.status).toBe(200)
    expect((await readStream(sse, 2)).text).toContain('event: session')
    if (second.opened) second.ws.close()
  })

  it('reads X-Forwarded-For only with trustProxy', async () => {
    server = await startServer({ port: 0, serveSite: false, maxConnectionsPerIp: 1 })
    const a = await handshake(wsOf(server), [], { headers: { 'X-Forwarded-For': '10.0.0.1' } })
    const b = await handshake(wsOf(server), [], { headers: { 'X-Forwarded-For': '10.0.0.2' } })
    expect(a.opened).toBe(true)
    expect(b.opened).toBe(false) // without trustProxy both count as 127.0.0.1
    if (a.opened) a.ws.close()
    await server.close()

    server = await startServer({
      port: 0,
      serveSite: false,
      maxConnectionsPerIp: 1,
      trustProxy: true,
    })
    const c = await handshake(wsOf(server), [], { headers: { 'X-Forwarded-For': '10.0.0.1' } })
    const d = await handshake(wsOf(server), [], { headers: { 'X-Forwarded-For': '10.0.0.2' } })
    const e = await handshake(wsOf(server), [], {
      headers: { 'X-Forwarded-For': '1.2.3.4, 10.0.0.2' },
    })
    expect(c.opened && d.opened).toBe(true)
    expect(e.opened).toBe(false) // the last entry is what the proxy saw: 10.0.0.2 again
    for (const outcome of [c, d]) if (outcome.opened) outcome.ws.close()
  })
})

describe('maxMessagesPerS', () => {
  it('answers a client within the rate and closes a flooding one with 1008 "rate"', async () => {
    server = await startServer({ port: 0, serveSite: false, maxMessagesPerS: 5 })
    const calm = await handshake(wsOf(server))
    const flood = await handshake(wsOf(server))
    if (!calm.opened || !flood.opened) throw new Error('handshake refused')
    const floodClosed = closed(flood.ws)
    for (let i = 0; i < 50; i++) flood.ws.send(JSON.stringify({ type: 'ping', id: i }))
    expect(await floodClosed).toEqual({ code: 1008, reason: 'rate' })
    for (let i = 0; i < 3; i++) calm.ws.send(JSON.stringify({ type: 'ping', id: i }))
    for (let i = 0; i < 300; i++) {
      if (calm.messages.filter((text) => text.includes('"type":"pong"')).length === 3) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(calm.messages.filter((text) => text.includes('"type":"pong"'))).toHaveLength(3)
    expect(calm.ws.readyState).toBe(1)
    calm.ws.close()
  })
})

describe('maxPollsPerS', () => {
  it('answers polls past the rate with 429, Retry-After and rate-limited', async () => {
    server = await startServer({ port: 0, serveSite: false, maxPollsPerS: 2 })
    const statuses: number[] = []
    let refused: Response | undefined
    for (let i = 0; i < 8; i++) {
      const response = await fetch(`${server.url}/poll/short`)
      statuses.push(response.status)
      if (response.status === 429) refused ??= response
      else await response.arrayBuffer()
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200])
    expect(statuses).toContain(429)
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(await refused?.json()).toMatchObject({ type: 'error', code: 'rate-limited' })
    // Other endpoints are not counted.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })
})

describe('slowloris bounds', () => {
  it('cuts a request whose headers never finish', async () => {
    server = await startServer({
      port: 0,
      serveSite: false,
      headersTimeoutMs: 500,
      requestTimeoutMs: 1000,
    })
    const socket = connect(server.port, '127.0.0.1')
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (answer += chunk))
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n')
    const ended = await new Promise<boolean>((resolve) => {
      socket.once('close', () => {
        resolve(true)
      })
      setTimeout(() => {
        resolve(false)
      }, 8000).unref()
    })
    socket.destroy()
    expect(ended).toBe(true)
    expect(answer).toMatch(/^HTTP\/1\.1 408/)
  })

  it('does not cut a long poll held longer than requestTimeout', async () => {
    server = await startServer({
      port: 0,
      serveSite: false,
      headersTimeoutMs: 500,
      requestTimeoutMs: 1000,
    })
    const first = (await (await fetch(`${server.url}/poll/long?session=new`)).json()) as PollReply
    const session = first.session ?? ''
    // A paused session holds the poll for its whole wait.
    await fetch(`${server.url}/api/control`, {
      method: 'POST',
      body: JSON.stringify({ action: 'stop', session }),
    })
    const started = performance.now()
    const reply = await fetch(
      `${server.url}/poll/long?epoch=${first.epoch}&since=${first.next}&wait=3&session=${session}`,
    )
    expect(reply.status).toBe(200)
    expect(((await reply.json()) as PollReply).messages).toEqual([])
    expect(performance.now() - started).toBeGreaterThan(2500)
  })
})

describe('idle WebSocket bound', () => {
  it('terminates a socket that never answers pings, within two heartbeat intervals or so', async () => {
    server = await startServer({ port: 0, rate: 5, serveSite: false, heartbeatMs: 200 })
    const silent = await handshake(wsOf(server), [], { autoPong: false })
    const lively = await handshake(wsOf(server))
    if (!silent.opened || !lively.opened) throw new Error('handshake refused')
    const pings = { count: 0 }
    silent.ws.on('ping', () => pings.count++)
    // Terminated, not closed: a dead peer would never answer a close handshake.
    expect((await closed(silent.ws)).code).toBe(1006)
    expect(pings.count).toBeGreaterThanOrEqual(1)
    expect(pings.count).toBeLessThanOrEqual(3)
    expect(lively.ws.readyState).toBe(1)
    lively.ws.close()
  })
})

/**
 * Request-targets that once stopped the whole process (`new URL()` threw on `//[` in the
 * access guard, the upgrade router, the WebSocket transport and the labs) sent as a hostile
 * client would, over raw sockets, to a live server process with a bystander of each held
 * protocol connected: every one gets a 4xx naming the problem, the process stays up, and no
 * bystander loses a frame (DESIGN.md guarantee 4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROTOCOL_TABLE, PROTOCOLS, type Protocol } from '../../servers/transports/protocols.ts'
import { openClient, type FeedClient } from '../conformance/feed-clients.ts'
import { startServerProcess, type ServerProcess } from '../../load/kit/server-process.ts'
import { expectContiguous, feedSeqs } from '../faults/stream-checks.ts'
import { rawExchange, WEBSOCKET_HEADERS, type RawAnswer } from './raw-http.ts'

/** Targets that threw before the fix, and relatives of them. */
const TARGETS = [
  '//[',
  '//a:99999/',
  '//%',
  'http://[/sse',
  '//[/sse',
  '/sse/..//[',
  'http://a:99999/ws',
  'https://[::1/poll/long',
  '//[::1]:0/ws?epoch=x&since=1',
  '/labs//[',
  '//labs/echo',
  '/labs/%',
  '*',
] as const

type Shape = 'GET' | 'POST' | 'upgrade'

/** Sends one raw request in `shape` and resolves with the answer. */
function rawRequest(port: number, target: string, shape: Shape): Promise<RawAnswer> {
  const head =
    shape === 'upgrade'
      ? `GET ${target} HTTP/1.1\r\nHost: lab.example\r\n${WEBSOCKET_HEADERS}\r\n`
      : `${shape} ${target} HTTP/1.1\r\nHost: lab.example\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`
  return rawExchange(port, head)
}

/** Every target in every shape; the statuses answered, keyed `shape target`. */
async function probeAll(port: number): Promise<Map<string, RawAnswer>> {
  const answers = new Map<string, RawAnswer>()
  for (const target of TARGETS) {
    for (const shape of ['GET', 'POST', 'upgrade'] as const) {
      answers.set(`${shape} ${target}`, await rawRequest(port, target, shape))
    }
  }
  return answers
}

function expectAllClientErrors(answers: Map<string, RawAnswer>): void {
  const wrong = [...answers].filter(([, { status }]) => status < 400 || status > 499)
  expect(
    wrong.map(([request, { status, text }]) => `${request} → ${status} ${text.slice(0, 200)}`),
  ).toEqual([])
}

describe('malformed request-targets on the reference server', () => {
  const HELD: readonly Protocol[] = PROTOCOLS.filter(
    (protocol) => PROTOCOL_TABLE[protocol].staleness === 'push',
  )
  let server: ServerProcess
  let bystanders: FeedClient[] = []

  beforeAll(async () => {
    server = await startServerProcess({ args: ['--rate', '20'] })
    bystanders = await Promise.all(HELD.map((protocol) => openClient(protocol, server.url)))
  })
  afterAll(() => {
    for (const client of bystanders) client.kill()
    server.child.kill('SIGKILL')
  })

  it('answers every target on GET, POST and upgrade with a 4xx, and keeps every bystander stream whole', async () => {
    const answers = await probeAll(server.port)
    expectAllClientErrors(answers)
    expect(server.child.exitCode).toBeNull()
    const health = await fetch(`${server.url}/healthz`)
    expect(health.status).toBe(200)
    const { seq } = (await health.json()) as { seq: number }
    for (const client of bystanders) {
      await client.waitFor((m) => m.type === 'frame' && m.seq > seq + 2, 5000)
      expectContiguous(feedSeqs(client.messages), client.protocol)
    }
  })

  it('names the problem: 400 bad-target for a target that is not a path or an http(s) URL', async () => {
    for (const shape of ['GET', 'POST', 'upgrade'] as const) {
      const { status, text } = await rawRequest(server.port, 'http://[/sse', shape)
      expect(status).toBe(400)
      expect(text).toContain('"code":"bad-target"')
      expect(text).toContain('http://[/sse')
    }
    const { status, text } = await rawRequest(server.port, '//[', 'upgrade')
    expect(status).toBe(404)
    expect(text).toContain('no WebSocket endpoint at //[')
  })
})

describe('malformed request-targets on the baseline server', () => {
  it('answers every target with a 4xx and keeps its WebSocket and long-poll bystanders', async () => {
    const baseline = await startServerProcess({ design: 'baseline' })
    const clients = await Promise.all(
      (['websocket', 'long-poll'] as const).map((protocol) => openClient(protocol, baseline.url)),
    )
    try {
      expectAllClientErrors(await probeAll(baseline.port))
      expect(baseline.child.exitCode).toBeNull()
      expect((await fetch(`${baseline.url}/healthz`)).status).toBe(200)
      for (const client of clients) {
        const before = feedSeqs(client.messages).at(-1) ?? 0
        await client.waitFor((m) => m.type === 'frame' && m.seq > before, 5000)
        const seqs = feedSeqs(client.messages)
        // The naive design may skip a seq between its timers; it never goes back.
        expect(seqs.every((seq, i) => i === 0 || seq > (seqs[i - 1] ?? 0))).toBe(true)
      }
    } finally {
      for (const client of clients) client.kill()
      baseline.child.kill('SIGKILL')
    }
  })
})

describe('a Host header that is not host[:port] (found by the fuzzer)', () => {
  let server: ServerProcess

  beforeAll(async () => {
    server = await startServerProcess({ args: ['--rate', '20'] })
  })
  afterAll(() => {
    server.child.kill('SIGKILL')
  })

  // better-sse builds a URL from the Host of every stream it opens, and threw on these.
  it.each(['[', 'a b', 'x/y', 'lab.example:99999', '%'])(
    'gets 400 bad-request naming the Host %j on /sse, /poll/long and a /ws upgrade, with nothing for the guard to catch',
    async (host) => {
      for (const head of [
        `GET /sse HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
        `GET /poll/long?wait=0 HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
        `GET /ws HTTP/1.1\r\nHost: ${host}\r\n${WEBSOCKET_HEADERS}\r\n`,
      ]) {
        const answer = await rawExchange(server.port, head)
        expect(answer.status, head).toBe(400)
        expect(answer.text).toContain('bad Host header')
      }
      const metrics = await (await fetch(`${server.url}/metrics`)).text()
      expect(metrics).not.toMatch(/^realtime_handler_errors_total\{/m)
    },
  )
})

describe('bytes pipelined behind a WebSocket handshake (found by the fuzzer)', () => {
  it('leave the baseline up when the handshake carried a bad cursor', async () => {
    const baseline = await startServerProcess({ design: 'baseline' })
    try {
      // The request after the handshake is read as WebSocket frames: 'G' has RSV2/RSV3 set,
      // so ws emits 'error' on a socket the baseline was closing for its bad cursor.
      const answer = await rawExchange(
        baseline.port,
        `GET /ws?epoch=x&since=abc HTTP/1.1\r\nHost: lab.example\r\n${WEBSOCKET_HEADERS}\r\nGET / HTTP/1.1\r\nHost: lab.example\r\n\r\n`,
      )
      expect(answer.status).toBe(101)
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(baseline.child.exitCode).toBeNull()
      expect((await fetch(`${baseline.url}/healthz`)).status).toBe(200)
    } finally {
      baseline.child.kill('SIGKILL')
    }
  })
})

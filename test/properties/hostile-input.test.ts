/**
 * Property tests over hostile input (fast-check): arbitrary cursors on /ws, /poll/long and
 * /poll/short, arbitrary `Last-Event-ID` on /sse, arbitrary JSON and non-JSON as WebSocket
 * messages and as POST /api/control and /api/ping bodies. Guarantee 4: every answer is a
 * valid reply or a clear error from the fault table — never a 5xx, never a crash — while
 * memory stays bounded and a watcher client keeps its stream.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { ServerMessage } from '../../servers/feed/messages.ts'
import { FAULTS } from '../../servers/http/errors.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { openClient, type FeedClient } from '../conformance/feed-clients.ts'
import { expectContiguous, feedSeqs } from '../faults/stream-checks.ts'

const FAULT_CODES = new Set<string>(Object.keys(FAULTS))
const RUNS = 100

let server: RunningServer
let watcher: FeedClient
let rssBefore = 0

beforeAll(async () => {
  server = await startServer({ port: 0, rate: 50, history: 200, serveSite: false })
  watcher = await openClient('websocket', server.url)
  rssBefore = process.memoryUsage().rss
})

afterAll(async () => {
  watcher.kill()
  await server.close()
})

/** Values a hostile or buggy client might put where a number or an id belongs. */
const cursorPart = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.constantFrom('NaN', 'Infinity', '-1', '0x10', '1e3', '9007199254740992', ' 1', '', '١'),
)

/** `undefined` leaves the parameter out. */
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.option(arb, { nil: undefined })

function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, value)
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}

/** A 4xx answer must carry the fault table's JSON error naming a known code. */
function expectClearError(status: number, body: string, what: string): void {
  expect(status, `${what}: ${body}`).toBeGreaterThanOrEqual(400)
  expect(status, `${what}: ${body}`).toBeLessThan(500)
  const parsed = JSON.parse(body) as { type?: unknown; code?: unknown; message?: unknown }
  expect(parsed.type, what).toBe('error')
  expect(FAULT_CODES.has(String(parsed.code)), `${what}: unknown code ${String(parsed.code)}`).toBe(
    true,
  )
  expect(typeof parsed.message, what).toBe('string')
}

describe('arbitrary cursors', () => {
  it.each(['/poll/long', '/poll/short'])(
    '%s answers a poll reply or a 4xx fault',
    async (path) => {
      await fc.assert(
        fc.asyncProperty(
          maybe(cursorPart),
          maybe(cursorPart),
          // `wait` stays short when valid so a held poll cannot stall the run.
          fc.oneof(fc.constantFrom('0', '1'), cursorPart),
          maybe(fc.oneof(fc.constant('new'), cursorPart)),
          async (epoch, since, wait, session) => {
            const query_ = query({
              epoch,
              since,
              session,
              wait: path === '/poll/long' ? wait : undefined,
            })
            const url = `${server.url}${path}${query_}`
            const res = await fetch(url)
            const body = await res.text()
            const what = `${path}${query_}`
            if (res.status === 200) {
              const reply = JSON.parse(body) as { epoch: unknown; next: unknown; messages: unknown }
              expect(reply.epoch, what).toBe(server.feed.epoch)
              expect(Number.isSafeInteger(reply.next), what).toBe(true)
              expect(Array.isArray(reply.messages), what).toBe(true)
            } else {
              expectClearError(res.status, body, what)
            }
          },
        ),
        { numRuns: RUNS },
      )
    },
    60_000,
  )

  it('/ws opens with a snapshot or reset, or refuses with a 4xx fault before the upgrade', async () => {
    await fc.assert(
      fc.asyncProperty(maybe(cursorPart), maybe(cursorPart), async (epoch, since) => {
        const what = `/ws epoch=${String(epoch)} since=${String(since)}`
        const ws = new WebSocket(
          `${server.url.replace(/^http/, 'ws')}/ws${query({ epoch, since })}`,
        )
        const outcome = await new Promise<
          { kind: 'message'; text: string } | { kind: 'refused'; status: number; body: string }
        >((resolve, reject) => {
          ws.once('message', (data: Buffer) => {
            resolve({ kind: 'message', text: data.toString() })
          })
          ws.once('unexpected-response', (_req, res) => {
            let body = ''
            res.on('data', (chunk: Buffer) => (body += chunk.toString()))
            res.on('end', () => {
              resolve({ kind: 'refused', status: res.statusCode ?? 0, body })
            })
          })
          ws.once('error', reject)
        })
        ws.terminate()
        if (outcome.kind === 'refused') expectClearError(outcome.status, outcome.body, what)
        else
          expect(['snapshot', 'reset'], what).toContain(
            (JSON.parse(outcome.text) as ServerMessage).type,
          )
      }),
      { numRuns: RUNS },
    )
  })

  it('/sse opens a stream or answers a 4xx fault for any Last-Event-ID, as header or query', async () => {
    // Header values are bytes without CR/LF/NUL (fetch refuses others before sending).
    const headerValue = fc.oneof(
      cursorPart.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
      fc
        .tuple(fc.string({ maxLength: 12 }), cursorPart)
        .map(([e, s]) => `${e}:${s}`.replace(/[^\x20-\x7e]/g, '')),
      fc.constant(`${'9'.repeat(400)}:${'9'.repeat(400)}`),
    )
    await fc.assert(
      // The same value as the header or as the `lastEventId` query (a fresh EventSource).
      fc.asyncProperty(headerValue, fc.boolean(), async (lastEventId, asQuery) => {
        const abort = new AbortController()
        const res = await fetch(`${server.url}/sse${asQuery ? query({ lastEventId }) : ''}`, {
          headers: asQuery ? {} : { 'Last-Event-ID': lastEventId },
          signal: abort.signal,
        })
        const what = `/sse ${asQuery ? 'lastEventId query' : 'Last-Event-ID'}=${JSON.stringify(lastEventId)}`
        if (res.status === 200) {
          expect(res.headers.get('content-type'), what).toMatch(/^text\/event-stream/)
          abort.abort()
        } else {
          expectClearError(res.status, await res.text(), what)
        }
      }),
      { numRuns: RUNS },
    )
  })
})

/** JSON of any shape, JSON that nearly fits the protocol, and text that is not JSON. */
const payload = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc
    .record(
      {
        type: fc.constantFrom('ping', 'control', 'subscribe', ''),
        id: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.object()),
        action: fc.oneof(fc.constantFrom('start', 'stop', 'pause'), fc.integer()),
        session: fc.oneof(fc.string({ maxLength: 30 }), fc.integer()),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{"type":', '[]', 'null', '"ping"', '{"__proto__":{"type":"ping"}}'),
)

describe('arbitrary payloads', () => {
  it('a WebSocket answers every message with pong, an error, or nothing, and stays open', async () => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`)
    const received: ServerMessage[] = []
    ws.on('message', (data: Buffer) => received.push(JSON.parse(data.toString()) as ServerMessage))
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    let n = 0
    await fc.assert(
      fc.asyncProperty(payload, async (text) => {
        const from = received.length
        const sentinel = `sentinel-${String(n++)}`
        ws.send(text)
        // Messages are handled in order: once the sentinel's pong is back, the answer
        // to `text` (if any) is in `received`.
        ws.send(JSON.stringify({ type: 'ping', id: sentinel }))
        for (let i = 0; i < 300; i++) {
          if (received.slice(from).some((m) => m.type === 'pong' && m.id === sentinel)) break
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
        const answers = received.slice(from).filter((m) => m.type !== 'frame')
        expect(answers.at(-1), `no pong after ${JSON.stringify(text)}`).toMatchObject({
          type: 'pong',
          id: sentinel,
        })
        for (const answer of answers.slice(0, -1)) {
          if (answer.type === 'error') expect(FAULT_CODES.has(answer.code)).toBe(true)
          else expect(['pong', 'snapshot', 'reset']).toContain(answer.type)
        }
        expect(ws.readyState).toBe(WebSocket.OPEN)
      }),
      { numRuns: RUNS * 2 },
    )
    ws.terminate()
  })

  it.each(['/api/control', '/api/ping'])('POST %s answers 200 or a 4xx fault', async (path) => {
    await fc.assert(
      fc.asyncProperty(payload, async (body) => {
        const res = await fetch(`${server.url}${path}`, { method: 'POST', body })
        const text = await res.text()
        if (res.status !== 200) expectClearError(res.status, text, `${path} ${body}`)
      }),
      { numRuns: RUNS },
    )
  })
})

describe('after the hostile run', () => {
  it('the watcher kept its stream and memory stayed bounded', async () => {
    const from = watcher.messages.length
    await watcher.waitFor((m) => m.type === 'frame', 3000, from)
    expectContiguous(feedSeqs(watcher.messages), 'watcher')
    // Generous: the process also holds vitest, fast-check and the clients.
    const grownMiB = (process.memoryUsage().rss - rssBefore) / 2 ** 20
    expect(grownMiB).toBeLessThan(150)
  })
})

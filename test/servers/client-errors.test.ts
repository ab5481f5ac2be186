/**
 * The peer's mistakes that libraries report by throwing (body-parser, express's router, a
 * cookie's percent-escapes) are answered with their own 4xx fault and one log line without
 * a stack, never a 500 `internal`; and a malformed `rl_token` cookie is a 401 naming the
 * cookie on every entry point.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { memoryLog } from '../../servers/http/log.ts'
import { authFromSecret } from '../../servers/http/auth.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { handshake, JWT } from '../security/security-clients.ts'

afterEach(() => {
  vi.restoreAllMocks()
})

interface Answer {
  status: number
  body: { type?: string; code?: string; message?: string }
}

async function answer(response: Response): Promise<Answer> {
  return { status: response.status, body: (await response.json()) as Answer['body'] }
}

describe('library client errors on the reference server', () => {
  let server: RunningServer
  const { log, events } = memoryLog()

  beforeAll(async () => {
    server = await startServer({ port: 0, rate: 20, serveSite: false, log })
  })
  afterAll(async () => {
    await server.close()
  })

  const post = (path: string, headers: Record<string, string>, body = '{}') =>
    fetch(`${server.url}${path}`, { method: 'POST', headers, body })

  it.each([
    [
      'gzip that does not inflate',
      400,
      'bad-message',
      /unreadable body .*incorrect header check/,
      () => post('/api/ping', { 'Content-Encoding': 'gzip' }),
    ],
    [
      'an unknown Content-Encoding',
      415,
      'unsupported-encoding',
      /Content-Encoding identity, gzip, deflate or br .*x-unknown/,
      () => post('/api/control', { 'Content-Encoding': 'x-unknown' }),
    ],
    [
      'an unknown charset',
      415,
      'unsupported-encoding',
      /charset/,
      () => post('/api/ping', { 'Content-Type': 'application/json; charset=x-unknown' }),
    ],
    [
      'a %-escape that does not decode in a route param',
      400,
      'bad-target',
      /%-escape in the path does not decode .*%zz/,
      () => fetch(`${server.url}/api/events/%zz`),
    ],
  ] as const)(
    'answers %s with %i %s, logged as one line without a stack',
    async (_name, status, code, message, send) => {
      events.length = 0
      const reply = await answer(await send())
      expect(reply).toMatchObject({ status, body: { type: 'error', code } })
      expect(reply.body.message).toMatch(message)
      // One warning (pino level 40) naming the fault, the peer and the request; no stack.
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ level: 40, handler: 'express route', code, status })
      expect(events[0]?.['peer']).toMatch(/127\.0\.0\.1/)
      expect(String(events[0]?.msg)).toMatch(/^client error: /)
      expect(events[0]).not.toHaveProperty('err')
    },
  )

  it('answers a bad escape in a lab route param with the lab error naming it', async () => {
    const reply = await answer(await fetch(`${server.url}/labs/chat/rooms/%zz`))
    expect(reply).toMatchObject({ status: 400, body: { code: 'invalid-message' } })
    expect(reply.body.message).toMatch(/%-escape in the path does not decode/)
  })

  it('shows the handler-error counter on /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text()
    expect(text).toContain('# TYPE realtime_handler_errors_total counter')
  })
})

describe('a malformed rl_token cookie with JWT on', () => {
  let server: RunningServer

  beforeAll(async () => {
    server = await startServer({
      port: 0,
      rate: 20,
      serveSite: false,
      auth: authFromSecret(JWT.secret, JWT.issuer, JWT.audience),
    })
  })
  afterAll(async () => {
    await server.close()
  })

  const COOKIE = { Cookie: 'theme=dark; rl_token=%E0%A4%A' }

  it.each([
    ['GET', '/sse'],
    ['GET', '/poll/long'],
    ['GET', '/poll/short'],
    ['POST', '/api/ping'],
    ['POST', '/api/control'],
  ])('refuses %s %s with 401 token-invalid naming the cookie', async (method, path) => {
    const reply = await answer(
      await fetch(`${server.url}${path}`, {
        method,
        headers: COOKIE,
        ...(method === 'POST' ? { body: '{}' } : {}),
      }),
    )
    expect(reply).toMatchObject({ status: 401, body: { code: 'token-invalid' } })
    expect(reply.body.message).toMatch(/rl_token cookie is not valid percent-encoding/)
  })

  it('refuses the WebSocket handshake with 401 token-invalid naming the cookie', async () => {
    const outcome = await handshake(`${server.url.replace(/^http/, 'ws')}/ws`, [], {
      headers: COOKIE,
    })
    expect(outcome.opened).toBe(false)
    if (outcome.opened) return
    expect(outcome.status).toBe(401)
    expect(outcome.body).toMatch(/rl_token cookie is not valid percent-encoding/)
  })
})

/**
 * JWT wiring on every entry point of a real server: missing, expired and wrong-audience
 * tokens are refused with 401 and the matching fault code before any stream starts; a good
 * token passes from each place a client can put it; a token expiring mid-connection closes
 * the WebSocket (1008 "token expired") and ends the SSE stream. A bystander stream keeps
 * flowing through every refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { authFromSecret } from '../../servers/http/auth.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { closed, collected, handshake, JWT, readStream, signToken } from './security-clients.ts'

let server: RunningServer
let wsUrl: string
let bystander: WebSocket
let bystanderMessages = 0

beforeAll(async () => {
  server = await startServer({
    port: 0,
    rate: 50,
    serveSite: false,
    auth: authFromSecret(JWT.secret, JWT.issuer, JWT.audience),
  })
  wsUrl = `${server.url.replace(/^http/, 'ws')}/ws`
  const opened = await handshake(wsUrl, ['realtime-lab.v1', `bearer.${await signToken(600)}`])
  if (!opened.opened) throw new Error(`bystander refused: ${opened.status} ${opened.body}`)
  bystander = opened.ws
  bystander.on('message', () => bystanderMessages++)
})

afterAll(async () => {
  bystander.close()
  await server.close()
})

/** The bystander must receive more feed messages after the test body ran. */
async function expectBystanderFlowing(): Promise<void> {
  const before = bystanderMessages
  await new Promise<void>((resolve) => {
    const onMessage = () => {
      if (bystanderMessages > before + 2) {
        bystander.off('message', onMessage)
        resolve()
      }
    }
    bystander.on('message', onMessage)
  })
  expect(bystanderMessages).toBeGreaterThan(before + 2)
}

const BAD_TOKENS = [
  ['missing', () => Promise.resolve(undefined), 'token-missing'],
  ['expired', () => signToken(-60), 'token-expired'],
  ['wrong aud', () => signToken(600, { audience: 'someone-else' }), 'token-invalid'],
] as const

describe('JWT on WebSocket', () => {
  it.each(BAD_TOKENS)(
    'refuses a %s token with 401 before the upgrade',
    async (_name, make, code) => {
      const token = await make()
      const outcome = await handshake(
        wsUrl,
        token === undefined ? ['realtime-lab.v1'] : ['realtime-lab.v1', `bearer.${token}`],
      )
      expect(outcome.opened).toBe(false)
      if (outcome.opened) return
      expect(outcome.status).toBe(401)
      expect(JSON.parse(outcome.body)).toMatchObject({ type: 'error', code })
      expect(outcome.headers['www-authenticate']).toMatch(/^Bearer/)
      await expectBystanderFlowing()
    },
  )

  it('accepts a token in the subprotocol and echoes only realtime-lab.v1', async () => {
    const outcome = await handshake(wsUrl, ['realtime-lab.v1', `bearer.${await signToken(600)}`])
    expect(outcome.opened).toBe(true)
    if (!outcome.opened) return
    expect(outcome.protocol).toBe('realtime-lab.v1')
    const [first] = await collected(outcome, 1)
    expect(JSON.parse(first ?? '{}')).toMatchObject({ type: 'snapshot' })
    outcome.ws.close()
  })

  it('accepts a token in the query and the Authorization header', async () => {
    const token = await signToken(600)
    for (const outcome of [
      await handshake(`${wsUrl}?access_token=${token}`),
      await handshake(wsUrl, [], { headers: { Authorization: `Bearer ${token}` } }),
    ]) {
      expect(outcome.opened).toBe(true)
      if (outcome.opened) outcome.ws.close()
    }
  })

  it('closes with 1008 "token expired" when the token expires mid-connection', async () => {
    const outcome = await handshake(wsUrl, ['realtime-lab.v1', `bearer.${await signToken(2)}`])
    expect(outcome.opened).toBe(true)
    if (!outcome.opened) return
    expect(await closed(outcome.ws)).toEqual({ code: 1008, reason: 'token expired' })
    await expectBystanderFlowing()
  })
})

describe('JWT on SSE, polls and POSTs', () => {
  const endpoints = [
    ['GET', '/sse'],
    ['GET', '/poll/long?wait=0'],
    ['GET', '/poll/short'],
    ['POST', '/api/ping'],
    ['POST', '/api/control'],
  ] as const

  for (const [method, path] of endpoints) {
    it.each(BAD_TOKENS)(`${method} ${path}: a %s token gets 401`, async (_name, make, code) => {
      const token = await make()
      const response = await fetch(`${server.url}${path}`, {
        method,
        headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
        ...(method === 'POST' ? { body: '{"id":1}' } : {}),
      })
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/)
      expect(await response.json()).toMatchObject({ type: 'error', code })
      await expectBystanderFlowing()
    })
  }

  it('lets a good token through on each (header and cookie)', async () => {
    const token = await signToken(600)
    const poll = await fetch(`${server.url}/poll/short`, {
      headers: { Cookie: `rl_token=${token}` },
    })
    expect(poll.status).toBe(200)
    expect(((await poll.json()) as { messages: unknown[] }).messages.length).toBeGreaterThan(0)
    const long = await fetch(`${server.url}/poll/long?wait=0`, {
      headers: { Authorization: `Bearer ${token}` },
    })
    expect(long.status).toBe(200)
    await long.arrayBuffer()
    const ping = await fetch(`${server.url}/api/ping`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: '{"id":7}',
    })
    expect(await ping.json()).toMatchObject({ type: 'pong', id: 7 })
    const sse = await fetch(`${server.url}/sse`, { headers: { Authorization: `Bearer ${token}` } })
    expect(sse.status).toBe(200)
    expect(sse.headers.get('content-type')).toMatch(/text\/event-stream/)
    const read = await readStream(sse, 3)
    expect(read.ended).toBe(false)
    expect(read.text).toContain('event: session')
  })

  it('ends the SSE stream when its token expires mid-stream', async () => {
    const sse = await fetch(`${server.url}/sse`, {
      headers: { Authorization: `Bearer ${await signToken(2)}` },
    })
    expect(sse.status).toBe(200)
    const read = await readStream(sse)
    expect(read.ended).toBe(true)
    expect(read.text).toContain('"type":"frame"')
    await expectBystanderFlowing()
  })
})

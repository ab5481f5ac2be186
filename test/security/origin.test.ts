/**
 * One Origin allowlist on every entry point: a foreign Origin gets 403 `forbidden-origin`
 * before any stream starts on /ws, /sse, both polls, the POSTs and the labs; a listed
 * Origin passes and gets CORS with its exact origin echoed and credentials allowed (never
 * `*`); preflights for the POSTs are answered. A bystander keeps receiving throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { handshake } from './security-clients.ts'

const ALLOWED = 'http://lab.example:8080'
const FOREIGN = [
  'http://evil.example',
  'http://lab.example:8081',
  'http://lab.example.evil.com:8080',
  'null',
]

let server: RunningServer
let bystander: WebSocket
let received = 0

beforeAll(async () => {
  server = await startServer({ port: 0, rate: 50, serveSite: false, allowedOrigins: [ALLOWED] })
  const opened = await handshake(`${server.url.replace(/^http/, 'ws')}/ws`, [], {
    origin: ALLOWED,
  })
  if (!opened.opened) throw new Error(`bystander refused with ${opened.status}`)
  bystander = opened.ws
  bystander.on('message', () => received++)
})

afterAll(async () => {
  bystander.close()
  await server.close()
})

async function expectBystanderFlowing(): Promise<void> {
  const before = received
  for (let i = 0; i < 200 && received <= before + 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  expect(received).toBeGreaterThan(before + 2)
}

describe('Origin allowlist', () => {
  it.each(FOREIGN)('refuses the WebSocket and lab upgrades from %s with 403', async (origin) => {
    for (const path of ['/ws', '/labs/echo']) {
      const outcome = await handshake(`${server.url.replace(/^http/, 'ws')}${path}`, [], {
        origin,
      })
      expect(outcome.opened).toBe(false)
      if (!outcome.opened) expect(outcome.status).toBe(403)
    }
    await expectBystanderFlowing()
  })

  it.each(FOREIGN)(
    'refuses SSE, polls and POSTs from %s with 403 forbidden-origin',
    async (origin) => {
      for (const [method, path] of [
        ['GET', '/sse'],
        ['GET', '/poll/long?wait=0'],
        ['GET', '/poll/short'],
        ['POST', '/api/ping'],
        ['POST', '/api/control'],
      ] as const) {
        const response = await fetch(`${server.url}${path}`, {
          method,
          headers: { Origin: origin },
          ...(method === 'POST' ? { body: '{"id":1}' } : {}),
        })
        expect(response.status, `${method} ${path}`).toBe(403)
        expect(response.headers.get('access-control-allow-origin')).toBeNull()
        expect(await response.json()).toMatchObject({ type: 'error', code: 'forbidden-origin' })
      }
      await expectBystanderFlowing()
    },
  )

  it('lets the listed origin through with exact-origin CORS and credentials', async () => {
    const ws = await handshake(`${server.url.replace(/^http/, 'ws')}/ws`, [], { origin: ALLOWED })
    expect(ws.opened).toBe(true)
    if (ws.opened) ws.ws.close()
    const poll = await fetch(`${server.url}/poll/short`, { headers: { Origin: ALLOWED } })
    expect(poll.status).toBe(200)
    expect(poll.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(poll.headers.get('access-control-allow-credentials')).toBe('true')
    expect(poll.headers.get('vary')).toMatch(/Origin/)
    await poll.arrayBuffer()
    const ping = await fetch(`${server.url}/api/ping`, {
      method: 'POST',
      headers: { Origin: ALLOWED },
      body: '{"id":3}',
    })
    expect(await ping.json()).toMatchObject({ type: 'pong', id: 3 })
    expect(ping.headers.get('access-control-allow-origin')).toBe(ALLOWED)
  })

  it('answers the preflight of a POST from the listed origin', async () => {
    const preflight = await fetch(`${server.url}/api/control`, {
      method: 'OPTIONS',
      headers: {
        Origin: ALLOWED,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type, authorization',
      },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED)
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST')
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/)
    const foreign = await fetch(`${server.url}/api/control`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    })
    expect(foreign.status).toBe(403)
  })

  it('lets a client without Origin through (non-browser clients)', async () => {
    const poll = await fetch(`${server.url}/poll/short`)
    expect(poll.status).toBe(200)
    expect(poll.headers.get('access-control-allow-origin')).toBeNull()
    await poll.arrayBuffer()
  })
})

/**
 * The gate classifies paths as express routes them: any case and one trailing slash reach
 * the same route, so they must meet the same guard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../main.ts'
import { pathKind } from './access-guard.ts'
import { authFromSecret } from './auth.ts'

let server: RunningServer

beforeAll(async () => {
  server = await startServer({
    port: 0,
    serveSite: false,
    auth: authFromSecret('s'.repeat(40), 'https://issuer.example', 'realtime-lab'),
    allowedOrigins: ['http://allowed.example'],
  })
})

afterAll(async () => {
  await server.close()
})

const VARIANTS = [
  ['GET', '/SSE'],
  ['GET', '/sse/'],
  ['GET', '/Poll/Long?wait=0'],
  ['GET', '/poll/long/?wait=0'],
  ['GET', '/POLL/SHORT'],
  ['GET', '/poll/short/'],
  ['POST', '/API/Ping'],
  ['POST', '/api/control/'],
] as const

describe('AccessGuard path classification', () => {
  it.each(VARIANTS)('asks for a token on %s %s', async (method, path) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      body: method === 'POST' ? '{}' : null,
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    await res.body?.cancel()
  })

  it.each(VARIANTS)('refuses a foreign Origin on %s %s', async (method, path) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { Origin: 'http://evil.example' },
      body: method === 'POST' ? '{}' : null,
    })
    expect(res.status).toBe(403)
    await res.body?.cancel()
  })

  it('leaves unguarded reads open', async () => {
    const res = await fetch(`${server.url}/API/Feed`)
    expect(res.status).toBe(200)
    await res.body?.cancel()
  })

  it.each([
    ['GET', '/healthz', 200],
    ['GET', '/metrics', 200],
    ['GET', '/api/events', 200],
    ['GET', '/api/events/EVENT%2300', 200],
    ['GET', '/api/feed', 200],
    // The static site's paths are public reads (here no site is served: 404, not 401).
    ['GET', '/questions/some-page/', 404],
    ['HEAD', '/', 404],
  ] as const)(
    'lets the declared public %s %s through without a token',
    async (method, path, status) => {
      const res = await fetch(`${server.url}${path}`, { method })
      expect(res.status).toBe(status)
      await res.body?.cancel()
    },
  )

  it.each([
    ['GET', '/api/undeclared'],
    ['POST', '/api/undeclared'],
    ['GET', '/poll/other'],
    ['GET', '/ws'],
    ['POST', '/'],
    ['PUT', '/questions/some-page/'],
    ['DELETE', '/labsx'],
  ] as const)('fails closed: asks for a token on the undeclared %s %s', async (method, path) => {
    const res = await fetch(`${server.url}${path}`, { method })
    expect(res.status).toBe(401)
    await res.body?.cancel()
  })
})

describe('pathKind', () => {
  it('declares only the listed reads public and guards every other path', () => {
    expect(pathKind('/healthz')).toBeNull()
    expect(pathKind('/api/events/event#01')).toBeNull()
    expect(pathKind('/live', 'GET')).toBeNull()
    expect(pathKind('/live', 'POST')).toBe('other')
    expect(pathKind('/api/new-endpoint', 'GET')).toBe('other')
    expect(pathKind('/sse', 'HEAD')).toBe('stream')
    expect(pathKind('/labs/chat', 'POST')).toBe('labs')
  })
})

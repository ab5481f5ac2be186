/**
 * RFC 6455 §4.1: the opening handshake is an HTTP/1.1 (or later) GET with a Host header.
 * An HTTP/1.0 upgrade or one without Host gets 400 `bad-handshake` on every WebSocket
 * endpoint (the feed, the labs, the baseline), and a well-formed one still opens.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBaselineServer, type RunningBaselineServer } from '../../servers/baseline/main.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { rawExchange, WEBSOCKET_HEADERS } from './raw-http.ts'

/** Sends one raw upgrade request; resolves with the status line and body. */
async function upgrade(port: number, requestLine: string, host: boolean): Promise<string> {
  const request = `${requestLine}\r\n${host ? 'Host: lab.example\r\n' : ''}${WEBSOCKET_HEADERS}\r\n`
  return (await rawExchange(port, request)).text
}

let server: RunningServer
let baseline: RunningBaselineServer

beforeAll(async () => {
  server = await startServer({ port: 0, rate: 20, serveSite: false })
  baseline = await startBaselineServer({ port: 0, rateHz: 20 })
})
afterAll(async () => {
  await Promise.all([server.close(), baseline.close()])
})

const ENDPOINTS = [
  ['the feed', () => server.port, '/ws'],
  ['the echo lab', () => server.port, '/labs/echo'],
  ['the baseline', () => baseline.port, '/ws'],
] as const

describe.each(ENDPOINTS)('WebSocket handshake rules on %s', (_name, port, path) => {
  it('refuses HTTP/1.0 with 400 bad-handshake naming the version', async () => {
    const answer = await upgrade(port(), `GET ${path} HTTP/1.0`, true)
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(answer).toContain('"code":"bad-handshake"')
    expect(answer).toContain('HTTP/1.0; RFC 6455 §4.1 needs HTTP/1.1')
  })

  it('refuses a handshake without Host with 400 bad-handshake', async () => {
    const answer = await upgrade(port(), `GET ${path} HTTP/1.1`, false)
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(answer).toContain('no Host header')
  })

  it('opens an HTTP/1.1 handshake with Host', async () => {
    expect(await upgrade(port(), `GET ${path} HTTP/1.1`, true)).toMatch(/^HTTP\/1\.1 101 /)
  })
})

describe('bytes that are not HTTP', () => {
  it.each([
    ['the reference server', () => server.port],
    ['the baseline', () => baseline.port],
  ])(
    'get 400 bad-request naming the parser error on %s, which keeps serving',
    async (_name, port) => {
      const answer = await rawExchange(port(), 'GARBAGE\x01 / HTTP/1.1\r\nHost: x\r\n\r\n')
      expect(answer.status).toBe(400)
      expect(answer.text).toContain('"code":"bad-request"')
      expect(answer.text).toMatch(/\(HPE_[A-Z_]+\)/)
      expect((await fetch(`http://127.0.0.1:${String(port())}/healthz`)).status).toBe(200)
    },
  )
})

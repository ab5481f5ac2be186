/** `allowedOrigins`: a WebSocket from a foreign Origin is refused with 403 before the upgrade. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startServer, type RunningServer } from '../../servers/main.ts'

let server: RunningServer

beforeAll(async () => {
  server = await startServer({
    port: 0,
    rate: 50,
    serveSite: false,
    allowedOrigins: ['http://lab.example'],
  })
})

afterAll(async () => {
  await server.close()
})

/** Status of the upgrade response: 101 when opened, else the HTTP status. */
function upgradeStatus(origin: string | undefined): Promise<number> {
  const ws = new WebSocket(
    `${server.url.replace(/^http/, 'ws')}/ws`,
    origin === undefined ? {} : { origin },
  )
  return new Promise((resolve) => {
    ws.once('open', () => {
      ws.close()
      resolve(101)
    })
    ws.once('unexpected-response', (_req, res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    ws.once('error', () => {
      resolve(-1)
    })
  })
}

describe('WebSocket Origin check', () => {
  it('refuses a foreign Origin with 403', async () => {
    expect(await upgradeStatus('http://evil.example')).toBe(403)
  })

  it('accepts a listed Origin and a client without Origin', async () => {
    expect(await upgradeStatus('http://lab.example')).toBe(101)
    expect(await upgradeStatus(undefined)).toBe(101)
  })
})

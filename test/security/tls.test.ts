/**
 * TLS: with a certificate and key the server answers https and wss on one port. The pair is
 * generated at test time with openssl (self-signed for 127.0.0.1) into a temp dir; clients
 * trust it as their CA.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { collected, handshake, httpsGet } from './security-clients.ts'

let dir: string
let cert: string
let server: RunningServer

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'realtime-lab-tls-'))
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  )
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8')
  server = await startServer({
    port: 0,
    rate: 50,
    serveSite: false,
    tls: { cert, key: readFileSync(join(dir, 'key.pem'), 'utf8') },
  })
})

afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('--tls-cert / --tls-key', () => {
  it('serves https on the port it reports', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    const reply = await httpsGet(`${server.url}/poll/short`, { ca: cert })
    expect(reply.status).toBe(200)
    expect(JSON.parse(reply.body)).toMatchObject({ epoch: server.feed.epoch })
  })

  it('serves wss on the same port', async () => {
    const outcome = await handshake(`${server.url.replace(/^https/, 'wss')}/ws`, [], { ca: cert })
    expect(outcome.opened).toBe(true)
    if (!outcome.opened) return
    const [first] = await collected(outcome, 1)
    expect(JSON.parse(first ?? '{}')).toMatchObject({ type: 'snapshot' })
    outcome.ws.close()
  })

  it('is refused by a client that does not trust the certificate', async () => {
    await expect(httpsGet(`${server.url}/healthz`)).rejects.toThrow(/self.signed/i)
  })
})

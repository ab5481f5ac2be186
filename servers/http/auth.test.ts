import { generateKeyPairSync } from 'node:crypto'
import { SignJWT, UnsecuredJWT, base64url } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  authFromPublicKey,
  authFromSecret,
  extractToken,
  redactUrl,
  selectSubprotocol,
  TokenVerifier,
} from './auth.ts'

const issuer = 'https://issuer.realtime-lab.test'
const audience = 'realtime-lab'
const secret = 'a'.repeat(16) + 'b'.repeat(16) + 'c'.repeat(8)
const now = () => Math.floor(Date.now() / 1000)

function sign(claims: Record<string, unknown> = {}) {
  // Claims passed in override the valid defaults, so each case changes exactly one thing.
  return new SignJWT({ sub: 'alice', iss: issuer, aud: audience, exp: now() + 60, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(Buffer.from(secret))
}

describe('TokenVerifier', () => {
  const verifier = new TokenVerifier(authFromSecret(secret, issuer, audience))

  it('accepts a valid HS256 token and reports its subject and expiry', async () => {
    const result = await verifier.verify(await sign())
    expect(result.ok).toBe(true)
    if (result.ok) {
      expect(result.subject).toBe('alice')
      expect(result.expiresAtMs).toBeGreaterThan(Date.now())
    }
  })

  it('refuses a token past exp as token-expired', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(now() - 60)
      .sign(Buffer.from(secret))
    expect(await verifier.verify(token)).toMatchObject({ ok: false, failure: 'token-expired' })
  })

  it('accepts a token expired by less than the clock tolerance', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(now() - 2)
      .sign(Buffer.from(secret))
    expect((await verifier.verify(token)).ok).toBe(true)
  })

  it.each([
    [
      'a token without exp',
      async () =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(issuer)
          .setAudience(audience)
          .sign(Buffer.from(secret)),
    ],
    ['a future nbf', async () => sign({ nbf: now() + 3600 })],
    ['the wrong aud', async () => sign({ aud: 'someone-else' })],
    ['the wrong iss', async () => sign({ iss: 'https://evil.test' })],
    [
      'alg none',
      () =>
        new UnsecuredJWT({ sub: 'alice' })
          .setIssuer(issuer)
          .setAudience(audience)
          .setExpirationTime(now() + 60)
          .encode(),
    ],
    [
      'a tampered payload',
      async () => {
        const [head, , signature] = (await sign()).split('.')
        const payload = base64url.encode(
          JSON.stringify({ sub: 'admin', iss: issuer, aud: audience, exp: now() + 60 }),
        )
        return `${head}.${payload}.${signature}`
      },
    ],
    [
      'a tampered signature',
      async () => {
        const token = await sign()
        return token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA')
      },
    ],
    [
      'a signature made with another secret',
      async () =>
        new SignJWT({})
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer(issuer)
          .setAudience(audience)
          .setExpirationTime(now() + 60)
          .sign(Buffer.from('x'.repeat(40))),
    ],
    ['garbage', () => 'not.a.jwt'],
    ['an empty string', () => ''],
  ])('refuses %s as token-invalid', async (_name, make) => {
    expect(await verifier.verify(await make())).toMatchObject({
      ok: false,
      failure: 'token-invalid',
    })
  })

  it('refuses a request that carries no token as token-missing', async () => {
    expect(await verifier.verifyRequest({ headers: {}, url: '/ws' })).toMatchObject({
      ok: false,
      failure: 'token-missing',
    })
  })

  it('refuses secrets shorter than 32 bytes and an allowlist holding none', () => {
    expect(() => authFromSecret('short', issuer, audience)).toThrow(/at least 32 bytes/)
    expect(
      () =>
        new TokenVerifier({ ...authFromSecret(secret, issuer, audience), algorithms: ['none'] }),
    ).toThrow(/none/)
  })
})

describe('TokenVerifier with an RS256 public key', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
  let verifier: TokenVerifier

  beforeAll(async () => {
    verifier = new TokenVerifier(await authFromPublicKey(pem, 'RS256', issuer, audience))
  })

  it('accepts a token signed with the private key', async () => {
    const token = await new SignJWT({ sub: 'bob' })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(now() + 60)
      .sign(privateKey)
    expect(await verifier.verify(token)).toMatchObject({ ok: true, subject: 'bob' })
  })

  it('refuses HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const token = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime(now() + 60)
      .sign(Buffer.from(pem))
    expect(await verifier.verify(token)).toMatchObject({ ok: false, failure: 'token-invalid' })
  })
})

describe('extractToken', () => {
  it.each([
    [{ authorization: 'Bearer abc.def.ghi' }, '/sse', 'authorization'],
    [{ cookie: 'theme=dark; rl_token=abc.def.ghi' }, '/sse', 'cookie'],
    [{ 'sec-websocket-protocol': 'realtime-lab.v1, bearer.abc.def.ghi' }, '/ws', 'subprotocol'],
    [{}, '/ws?since=3&access_token=abc.def.ghi', 'query'],
  ] as const)('reads the token from %o %s (%s)', (headers, url, source) => {
    expect(extractToken({ headers, url })).toEqual({ token: 'abc.def.ghi', source })
  })

  it('finds nothing in a request without a token', () => {
    expect(
      extractToken({ headers: { authorization: 'Basic dXNlcjpwYXNz' }, url: '/ws' }),
    ).toBeNull()
  })

  it('reports a cookie whose escapes do not decode, and never throws on any target', () => {
    expect(extractToken({ headers: { cookie: 'rl_token=%E0%A4%A' }, url: '/sse' })).toEqual({
      error: 'the rl_token cookie is not valid percent-encoding',
      source: 'cookie',
    })
    expect(extractToken({ headers: {}, url: '//[?access_token=abc' })).toEqual({
      token: 'abc',
      source: 'query',
    })
    expect(extractToken({ headers: {}, url: 'http://[/ws?access_token=abc' })).toBeNull()
  })
})

describe('selectSubprotocol', () => {
  it('echoes the fixed protocol name, never the bearer entry', () => {
    expect(selectSubprotocol(new Set(['bearer.secret', 'realtime-lab.v1']))).toBe('realtime-lab.v1')
    expect(selectSubprotocol(new Set(['bearer.secret']))).toBe(false)
  })
})

describe('redactUrl', () => {
  it('hides the token in the query wherever it stands', () => {
    expect(redactUrl('/ws?access_token=abc&since=3')).toBe('/ws?access_token=[redacted]&since=3')
    expect(redactUrl('/sse?a=1&access_token=abc.def')).toBe('/sse?a=1&access_token=[redacted]')
    expect(redactUrl('/ws?since=3')).toBe('/ws?since=3')
  })
})

/**
 * Optional JWT authentication for every transport: where a token may come from, how it is
 * verified (jose, algorithm allowlist, `iss`/`aud`/`exp` required), and how it is kept out
 * of logs.
 */
import type { IncomingMessage } from 'node:http'
import { errors as joseErrors, importSPKI, jwtVerify, type JWTPayload } from 'jose'
import { parseTarget } from './request-target.ts'

/** Defaults of {@link AuthOptions}; each is also stated where the option is documented. */
export const AUTH_DEFAULTS = Object.freeze({
  /** Seconds of clock skew accepted on `exp` and `nbf`. */
  clockToleranceS: 5,
  /** Cookie read for the token. */
  cookieName: 'rl_token',
  /** Query parameter read for the token (redacted from every log). */
  queryParam: 'access_token',
  /** The subprotocol a WebSocket client offers beside its `bearer.<token>` entry; the server echoes it. */
  subprotocol: 'realtime-lab.v1',
})

/** The subprotocol prefix that carries a token in `Sec-WebSocket-Protocol`. */
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.'

/** How tokens are verified. */
export interface AuthOptions {
  /** Verification key: an HMAC secret (HS256) or a public key (RS256, ES256, EdDSA). */
  key: CryptoKey | Uint8Array
  /** Algorithms accepted; anything else (including `none`) is refused. */
  algorithms: readonly string[]
  /** Required `iss`. */
  issuer: string
  /** Required `aud`. */
  audience: string
  /** Clock skew tolerance in seconds (default 5). */
  clockToleranceS?: number
}

/** Why a request was refused; values of the closed error table. */
export type AuthFailure = 'token-missing' | 'token-invalid' | 'token-expired'

/** The outcome of verifying a request's token. */
export type AuthResult =
  | { ok: true; subject: string | null; claims: JWTPayload; expiresAtMs: number }
  | { ok: false; failure: AuthFailure; detail: string }

/** Where the token was found. */
export type TokenSource = 'authorization' | 'cookie' | 'subprotocol' | 'query'

/**
 * Builds auth options from a shared secret (HS256 only).
 * Throws when the secret is shorter than 32 bytes: HS256 with a short secret is brute-forceable.
 */
export function authFromSecret(secret: string, issuer: string, audience: string): AuthOptions {
  if (Buffer.byteLength(secret) < 32) {
    throw new Error(
      '--jwt-secret must be at least 32 bytes long; generate one with `openssl rand -hex 32`',
    )
  }
  return { key: new TextEncoder().encode(secret), algorithms: ['HS256'], issuer, audience }
}

/**
 * Builds auth options from a PEM public key (SPKI) and its algorithm (RS256, ES256 or EdDSA).
 * The allowlist holds that one algorithm, so a token signed with HS256 using the public key
 * as the secret is refused.
 */
export async function authFromPublicKey(
  pem: string,
  algorithm: 'RS256' | 'ES256' | 'EdDSA',
  issuer: string,
  audience: string,
): Promise<AuthOptions> {
  const key = await importSPKI(pem, algorithm)
  return { key, algorithms: [algorithm], issuer, audience }
}

/** A token found in a request, or why the place that should hold one could not be read. */
export type FoundToken =
  { token: string; source: TokenSource } | { error: string; source: TokenSource }

/**
 * Finds the token in a request: Authorization header, then cookie, then subprotocol, then
 * query; null when there is none. Never throws: an unreadable cookie is an `error`.
 */
export function extractToken(request: Pick<IncomingMessage, 'headers' | 'url'>): FoundToken | null {
  const authorization = request.headers.authorization
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization)
    if (match?.[1] !== undefined) return { token: match[1], source: 'authorization' }
  }
  const cookie = request.headers.cookie
  if (cookie !== undefined) {
    for (const part of cookie.split(';')) {
      const [name, ...value] = part.trim().split('=')
      if (name === AUTH_DEFAULTS.cookieName && value.length > 0) {
        const token = decodeCookieValue(value.join('='))
        return token === null
          ? {
              error: `the ${AUTH_DEFAULTS.cookieName} cookie is not valid percent-encoding`,
              source: 'cookie',
            }
          : { token, source: 'cookie' }
      }
    }
  }
  const protocols = request.headers['sec-websocket-protocol']
  if (protocols !== undefined) {
    for (const entry of protocols.split(',')) {
      const name = entry.trim()
      if (name.startsWith(BEARER_SUBPROTOCOL_PREFIX)) {
        return { token: name.slice(BEARER_SUBPROTOCOL_PREFIX.length), source: 'subprotocol' }
      }
    }
  }
  const target = parseTarget(request.url)
  const query = target.ok
    ? new URLSearchParams(target.value.query).get(AUTH_DEFAULTS.queryParam)
    : null
  if (query !== null && query !== '') return { token: query, source: 'query' }
  return null
}

/** A cookie value with its percent-escapes decoded; null when an escape is malformed. */
function decodeCookieValue(value: string): string | null {
  try {
    return decodeURIComponent(value)
  } catch {
    return null
  }
}

/**
 * The subprotocol to echo in the handshake answer: the fixed protocol name when the client
 * offered it, never the `bearer.` entry that carries the token.
 */
export function selectSubprotocol(offered: ReadonlySet<string>): string | false {
  return offered.has(AUTH_DEFAULTS.subprotocol) ? AUTH_DEFAULTS.subprotocol : false
}

/** Replaces the value of the token query parameter in a URL, for logs. */
export function redactUrl(url: string): string {
  return url.replace(new RegExp(`([?&]${AUTH_DEFAULTS.queryParam}=)[^&#]*`, 'g'), '$1[redacted]')
}

/** Verifies tokens with one set of options. */
export class TokenVerifier {
  readonly #options: AuthOptions

  constructor(options: AuthOptions) {
    if (options.algorithms.length === 0) throw new Error('AuthOptions.algorithms must not be empty')
    if (options.algorithms.some((alg) => alg.toLowerCase() === 'none')) {
      throw new Error('AuthOptions.algorithms must not contain "none"')
    }
    this.#options = options
  }

  /** Verifies the token a request carries; a request without one fails with `token-missing`. */
  async verifyRequest(request: Pick<IncomingMessage, 'headers' | 'url'>): Promise<AuthResult> {
    const found = extractToken(request)
    if (found === null) {
      return {
        ok: false,
        failure: 'token-missing',
        detail: 'no token in Authorization, cookie, subprotocol or query',
      }
    }
    if ('error' in found) return { ok: false, failure: 'token-invalid', detail: found.error }
    return this.verify(found.token)
  }

  /** Verifies one token. Never throws for a bad token: the failure is the result. */
  async verify(token: string): Promise<AuthResult> {
    const { key, algorithms, issuer, audience } = this.#options
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [...algorithms],
        issuer,
        audience,
        clockTolerance: this.#options.clockToleranceS ?? AUTH_DEFAULTS.clockToleranceS,
        requiredClaims: ['exp', 'iss', 'aud'],
      })
      return {
        ok: true,
        subject: payload.sub ?? null,
        claims: payload,
        expiresAtMs: (payload.exp ?? 0) * 1000,
      }
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        return { ok: false, failure: 'token-expired', detail: 'the token has expired' }
      }
      const detail =
        error instanceof joseErrors.JOSEError
          ? `${error.code}: ${error.message}`
          : 'unreadable token'
      return { ok: false, failure: 'token-invalid', detail }
    }
  }
}

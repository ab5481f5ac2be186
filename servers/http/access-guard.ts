/**
 * The one gate every entry point passes: Origin allowlist (with CORS for listed origins),
 * JWT authentication, per-address connection and poll-rate limits. HTTP requests pass it
 * before express sees them; WebSocket upgrades ask it from the transport before the
 * handshake. Refusals are faults of the closed table, answered before any stream starts.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { encodeError } from '../feed/codec.ts'
import { TokenVerifier, type AuthOptions } from './auth.ts'
import { FAULTS, fault, type Fault } from './errors.ts'
import { answerRequest, type HandlerGuard } from './handler-guard.ts'
import { OriginPolicy } from './origin-policy.ts'
import { clientAddress, ConnectionLimiter, KeyedRateLimiter } from './rate-limit.ts'
import { hostFault, parseTarget } from './request-target.ts'
import { fold } from './route-path.ts'
import {
  PROTOCOL_TABLE,
  PROTOCOLS,
  protocolAtPath,
  type GuardKind,
} from '../transports/protocols.ts'

/** What the gate is configured with (the matching `ServerOptions` fields). */
export interface AccessGuardOptions {
  allowedOrigins: readonly string[] | null
  auth: AuthOptions | null
  maxConnectionsPerIp: number
  maxPollsPerS: number
  trustProxy: boolean
}

/** The verdict on one request: admitted (with the token's expiry, if any) or a fault. */
export type Admission =
  { ok: true; expiresAtMs: number | null } | { ok: false; fault: Fault; headers: string[] }

/**
 * How a path is guarded. `other` is every path not declared: it gets the Origin and token
 * checks (no limits), so an endpoint added without a row here is guarded, not open.
 */
type PathKind = GuardKind | 'post' | 'labs' | 'other'

/** The read-only endpoints declared public: no Origin, token or limit checks. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set([
  '/healthz',
  '/metrics',
  '/api/events',
  '/api/feed',
  '/api/links',
])
// `GET /api/events/:id`, the REST view of one event.
const PUBLIC_PREFIXES: readonly string[] = ['/api/events/']
// Paths under these are endpoints, never site pages: not declared, they are guarded.
const ENDPOINT_PREFIXES: readonly string[] = [
  '/api/',
  '/poll/',
  ...PROTOCOLS.map((protocol) => PROTOCOL_TABLE[protocol].path),
]

// Sent with every 401 so that clients know which scheme is wanted (RFC 6750).
const WWW_AUTHENTICATE = 'WWW-Authenticate: Bearer realm="realtime-lab"'

/** Guards every entry point of one server. */
export class AccessGuard {
  /** The Origin allowlist, shared with the labs. */
  readonly originPolicy: OriginPolicy
  readonly #verifier: TokenVerifier | null
  readonly #connections: ConnectionLimiter
  // Without a limit there is nothing to count: no slot and no close listener per request.
  readonly #limitsConnections: boolean
  readonly #polls: KeyedRateLimiter | null
  readonly #trustProxy: boolean
  readonly #guard: HandlerGuard
  // Token expiry of admitted HTTP requests, read by the SSE transport to end the stream.
  readonly #expiries = new WeakMap<IncomingMessage, number>()

  /**
   * @param options - The gate's settings.
   * @param guard - Guards the callbacks that run after an asynchronous token check.
   */
  constructor(options: AccessGuardOptions, guard: HandlerGuard) {
    this.#guard = guard
    this.originPolicy = new OriginPolicy(options.allowedOrigins ?? [])
    this.#verifier = options.auth === null ? null : new TokenVerifier(options.auth)
    this.#connections = new ConnectionLimiter(options.maxConnectionsPerIp)
    this.#limitsConnections = options.maxConnectionsPerIp > 0
    this.#polls =
      options.maxPollsPerS > 0
        ? new KeyedRateLimiter(options.maxPollsPerS, Math.max(1, options.maxPollsPerS))
        : null
    this.#trustProxy = options.trustProxy
  }

  /** True when requests need a token. */
  get authRequired(): boolean {
    return this.#verifier !== null
  }

  /** The address limits are counted against (honours `trustProxy`). */
  addressOf(request: IncomingMessage): string {
    return clientAddress(request, this.#trustProxy)
  }

  /** Checks the `Origin` of a request; a fault when it is not allowed. */
  checkOrigin(request: IncomingMessage): Fault | null {
    const verdict = this.originPolicy.check(request.headers.origin)
    return verdict.ok
      ? null
      : fault(
          'forbidden-origin',
          `${verdict.detail}; start the server with --allow-origin naming it`,
        )
  }

  /** Verifies the request's token; admitted at once when authentication is off. */
  async authenticate(request: IncomingMessage): Promise<Admission> {
    if (this.#verifier === null) return { ok: true, expiresAtMs: null }
    const result = await this.#verifier.verifyRequest(request)
    if (result.ok) return { ok: true, expiresAtMs: result.expiresAtMs }
    return {
      ok: false,
      fault: fault(result.failure, `${FAULTS[result.failure].message} (${result.detail})`),
      headers: [WWW_AUTHENTICATE],
    }
  }

  /** Reserves a connection slot for the request's address; null when the address is full. */
  acquireConnection(request: IncomingMessage): (() => void) | null {
    return this.#connections.acquire(this.addressOf(request))
  }

  /** When the token of an admitted HTTP request expires (ms since epoch), or null. */
  expiresAtMs(request: IncomingMessage): number | null {
    return this.#expiries.get(request) ?? null
  }

  /**
   * Wraps the app: guarded paths pass the gate first, every other path goes straight on. A
   * target that cannot be parsed gets 400 `bad-target` here, before anything routes it.
   */
  wrap(app: RequestListener): RequestListener {
    return (req, res) => {
      const target = parseTarget(req.url)
      if (!target.ok) {
        writeFault(res, target.fault)
        return
      }
      const badHost = hostFault(req.headers.host)
      if (badHost !== null) {
        writeFault(res, badHost)
        return
      }
      const kind = pathKind(fold(target.value.pathname), req.method)
      if (kind === null) {
        app(req, res)
        return
      }
      this.#admit(req, res, kind, app)
    }
  }

  #admit(req: IncomingMessage, res: ServerResponse, kind: PathKind, app: RequestListener): void {
    const originFault = this.checkOrigin(req)
    if (originFault !== null) {
      writeFault(res, originFault)
      return
    }
    const origin = req.headers.origin
    // CORS only for listed origins: the exact origin echoed, credentials allowed, never `*`.
    if (origin !== undefined && !this.originPolicy.open) {
      res.setHeader('Access-Control-Allow-Origin', origin)
      res.setHeader('Access-Control-Allow-Credentials', 'true')
      res.setHeader('Vary', 'Origin')
      if (
        req.method === 'OPTIONS' &&
        req.headers['access-control-request-method'] !== undefined &&
        kind !== 'labs'
      ) {
        res.writeHead(204, {
          'Access-Control-Allow-Methods': kind === 'post' ? 'POST' : 'GET',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type, Last-Event-ID',
          'Access-Control-Max-Age': '600',
        })
        res.end()
        return
      }
    }
    // Labs take the Origin check only: their pages and endpoints carry no token.
    if (kind === 'labs') {
      app(req, res)
      return
    }
    if (this.#polls !== null && (kind === 'held-poll' || kind === 'poll')) {
      const taken = this.#polls.take(this.addressOf(req))
      if (!taken.ok) {
        writeFault(
          res,
          fault('rate-limited', `${FAULTS['rate-limited'].message} (--max-polls-per-s)`),
          [`Retry-After: ${taken.retryAfterS}`],
        )
        return
      }
    }
    if (this.#verifier === null) {
      this.#proceed(req, res, kind, app, null)
      return
    }
    const answer = (): void => {
      answerRequest(res)
    }
    this.authenticate(req).then(
      this.#guard.callback(
        'request (after token check)',
        (admission: Admission) => {
          if (res.destroyed) return
          if (admission.ok) this.#proceed(req, res, kind, app, admission.expiresAtMs)
          else writeFault(res, admission.fault, admission.headers)
        },
        answer,
      ),
      (error: unknown) => {
        this.#guard.caught('token check', error)
        answer()
      },
    )
  }

  /** The last step of admission: the connection limit, then the app. */
  #proceed(
    req: IncomingMessage,
    res: ServerResponse,
    kind: PathKind,
    app: RequestListener,
    expiresAtMs: number | null,
  ): void {
    if (expiresAtMs !== null) this.#expiries.set(req, expiresAtMs)
    if (this.#limitsConnections && (kind === 'stream' || kind === 'held-poll')) {
      const release = this.acquireConnection(req)
      if (release === null) {
        writeFault(res, fault('too-many-connections'))
        return
      }
      res.once('close', release)
    }
    app(req, res)
  }
}

/**
 * Which guard a route path ({@link fold}ed as express matches it: any case, one trailing
 * slash, so `/SSE` or `/poll/short/` cannot reach a guarded route past the gate) gets; null
 * only for what is declared public: {@link PUBLIC_PATHS}, and `GET`/`HEAD` of the static
 * site (any path outside the endpoint prefixes `/api/`, `/poll/`, `/ws`, `/sse`). Everything
 * else fails closed to `other`.
 */
export function pathKind(path: string, method = 'GET'): PathKind | null {
  if (PUBLIC_PATHS.has(path) || PUBLIC_PREFIXES.some((prefix) => path.startsWith(prefix))) {
    return null
  }
  const protocol = protocolAtPath(path)
  if (protocol !== undefined) return PROTOCOL_TABLE[protocol].guard
  if (path === '/api/ping' || path === '/api/control') return 'post'
  if (path === '/labs' || path.startsWith('/labs/')) return 'labs'
  const read = method === 'GET' || method === 'HEAD'
  if (read && !ENDPOINT_PREFIXES.some((prefix) => path.startsWith(prefix))) return null
  return 'other'
}

/** Answers a refused HTTP request with its status and an `error` body. */
function writeFault(res: ServerResponse, failure: Fault, headers: string[] = []): void {
  const body = encodeError(failure.code, failure.message)
  const extra = Object.fromEntries(
    headers.map((line) => {
      const at = line.indexOf(':')
      return [line.slice(0, at), line.slice(at + 1).trim()]
    }),
  )
  res.writeHead(FAULTS[failure.code].status, {
    ...extra,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  })
  res.end(body)
}

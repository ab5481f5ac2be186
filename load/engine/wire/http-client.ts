/**
 * One VU's HTTP client, as k6 keeps it: keep-alive connections per `host:port`, reused
 * request after request (a second connection opens only while the first is busy). Plain
 * `http:` goes over {@link HttpConnection} (raw socket, shared read buffer); `https:` goes
 * over node:https with a keep-alive agent, because TLS sockets have no `onread`. A request
 * that finds its keep-alive socket closed by the server while idle is sent once more on a
 * new connection when its method is idempotent, as browsers and undici do.
 *
 * Results are values: a request that gets no response resolves with k6's error code and
 * message, never rejects.
 */
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import type { IncomingMessage } from 'node:http'
import { HttpConnection } from './http-connection.ts'
import type { HttpExchange } from './http-connection.ts'
import type { HttpFailure } from './http-errors.ts'
import { failureFromSocketError, K6_ERROR_CODES, REQUEST_TIMEOUT_MESSAGE } from './http-errors.ts'
import { buildRequest, IDEMPOTENT_METHODS, parseHttpTarget } from './http-request.ts'
import type { HttpTarget } from './http-request.ts'
import type { HttpResponseHead } from './http-response-parser.ts'
import { canonicalHeaderName } from './http-response-parser.ts'

/** k6's `Response.timings` fields, ms. */
export interface HttpTimings {
  blocked: number
  connecting: number
  tls_handshaking: number
  sending: number
  waiting: number
  receiving: number
  /** sending + waiting + receiving, as k6's `http_req_duration`. */
  duration: number
}

/** The outcome of one request: a response, or k6's error code and message. */
export interface HttpResult {
  /** 0 when no response came. */
  status: number
  statusText: string
  headers: Record<string, string>
  /** The body as text; null when discarded or when no response came. */
  body: string | null
  /** k6 error code: 0, or the code of the failure (`HttpFailure`). */
  errorCode: number
  error: string
  /** Bytes read from the wire for this request (head and framing included). */
  bytesReceived: number
  /** Bytes written for this request (head included). */
  bytesSent: number
  timings: HttpTimings
}

/** What to send. */
export interface HttpRequestSpec {
  method: string
  url: string
  headers?: Readonly<Record<string, string>> | undefined
  body?: string | undefined
  /** Bounds the whole request, ms; 0 for none. */
  timeoutMs: number
  /** Read the body but do not keep it (k6's `responseType: 'none'`). */
  discardBody?: boolean
}

const NO_HEADERS: Record<string, string> = Object.freeze({})

function failedResult(failure: HttpFailure, duration: number, sent: number): HttpResult {
  return {
    status: 0,
    statusText: '',
    headers: NO_HEADERS,
    body: null,
    errorCode: failure.code,
    error: failure.message,
    bytesReceived: 0,
    bytesSent: sent,
    timings: {
      blocked: 0,
      connecting: 0,
      tls_handshaking: 0,
      sending: 0,
      waiting: duration,
      receiving: 0,
      duration,
    },
  }
}

/** One request in flight on a lean connection: collects the response and settles once. */
class Exchange implements HttpExchange {
  readonly #client: HttpClient
  readonly #spec: HttpRequestSpec
  readonly #request: string
  readonly #target: HttpTarget
  readonly #resolve: (result: HttpResult) => void
  readonly #startedAt: number
  #connection: HttpConnection | undefined
  #retried = false
  #sentAt = 0
  #firstByteAt = 0
  #bytesReceived = 0
  #head: HttpResponseHead | undefined
  // Body bytes are copied out of the shared read buffer only when the body spans reads:
  // a body that ends in the read it started in is decoded straight from the buffer.
  #parts: Buffer[] | undefined
  #slice: Buffer | undefined
  #sliceStart = 0
  #sliceEnd = 0

  constructor(
    client: HttpClient,
    spec: HttpRequestSpec,
    target: HttpTarget,
    request: string,
    resolve: (result: HttpResult) => void,
  ) {
    this.#client = client
    this.#spec = spec
    this.#target = target
    this.#request = request
    this.#resolve = resolve
    this.#startedAt = performance.now()
  }

  start(): void {
    this.#connection = this.#client.connectionFor(this.#target)
    this.#sentAt = this.#connection.connectedAt === 0 ? 0 : performance.now()
    this.#connection.send(this.#request, this.#spec.method === 'HEAD', this.#spec.timeoutMs, this)
  }

  onRead(bytes: number): void {
    if (this.#firstByteAt === 0) this.#firstByteAt = performance.now()
    this.#bytesReceived += bytes
  }

  onReadEnd(): void {
    if (this.#slice !== undefined) this.#keepSlice()
  }

  onHead(head: HttpResponseHead): void {
    this.#head = head
  }

  onBody(buffer: Buffer, start: number, end: number): void {
    if (this.#spec.discardBody === true || start === end) return
    if (this.#slice !== undefined) this.#keepSlice()
    this.#slice = buffer
    this.#sliceStart = start
    this.#sliceEnd = end
  }

  onComplete(): void {
    const head = this.#head
    let body: string | null = null
    if (this.#spec.discardBody !== true) {
      if (this.#parts === undefined) {
        body =
          this.#slice === undefined
            ? ''
            : this.#slice.toString('utf8', this.#sliceStart, this.#sliceEnd)
      } else {
        if (this.#slice !== undefined) this.#keepSlice()
        body = Buffer.concat(this.#parts).toString('utf8')
      }
    }
    this.#slice = undefined
    const now = performance.now()
    const sentAt = this.#sendingFrom()
    const firstByteAt = this.#firstByteAt === 0 ? now : this.#firstByteAt
    this.#resolve({
      status: head?.status ?? 0,
      statusText: head?.statusText ?? '',
      headers: head?.headers ?? NO_HEADERS,
      body,
      errorCode: head !== undefined && head.status >= 400 ? 1000 + head.status : 0,
      error: '',
      bytesReceived: this.#bytesReceived,
      bytesSent: Buffer.byteLength(this.#request),
      timings: {
        blocked: 0,
        connecting: this.#connectingMs(),
        tls_handshaking: 0,
        sending: 0,
        waiting: firstByteAt - sentAt,
        receiving: now - firstByteAt,
        duration: now - sentAt,
      },
    })
  }

  onError(failure: HttpFailure, retryable: boolean): void {
    this.#slice = undefined
    if (retryable && !this.#retried && IDEMPOTENT_METHODS.has(this.#spec.method)) {
      // The server closed this keep-alive socket while it sat idle: the request never
      // reached it, so sending it again on a new connection is safe.
      this.#retried = true
      this.#firstByteAt = 0
      this.#bytesReceived = 0
      this.#head = undefined
      this.#parts = undefined
      this.start()
      return
    }
    const result = failedResult(
      failure,
      performance.now() - this.#sendingFrom(),
      Buffer.byteLength(this.#request),
    )
    result.bytesReceived = this.#bytesReceived
    result.timings.connecting = this.#connectingMs()
    this.#resolve(result)
  }

  #keepSlice(): void {
    const slice = this.#slice
    if (slice === undefined) return
    // Buffer.from(Uint8Array) copies: the shared read buffer is overwritten by the next read.
    const copy = Buffer.from(slice.subarray(this.#sliceStart, this.#sliceEnd))
    if (this.#parts === undefined) this.#parts = [copy]
    else this.#parts.push(copy)
    this.#slice = undefined
  }

  /** When sending began: at once on an open connection, else when it connected. */
  #sendingFrom(): number {
    if (this.#sentAt !== 0) return this.#sentAt
    const connectedAt = this.#connection?.connectedAt ?? 0
    return connectedAt === 0 ? this.#startedAt : connectedAt
  }

  #connectingMs(): number {
    const connection = this.#connection
    if (connection === undefined || this.#sentAt !== 0 || connection.connectedAt === 0) return 0
    return connection.connectedAt - Math.max(connection.dialedAt, this.#startedAt)
  }
}

const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: Infinity })

/** An `https:` request over node:https (TLS sockets have no `onread`). */
function requestOverTls(spec: HttpRequestSpec, target: HttpTarget): Promise<HttpResult> {
  const started = performance.now()
  const bytesSent = spec.body === undefined ? 0 : Buffer.byteLength(spec.body)
  return new Promise((resolve) => {
    let settled = false
    const settle = (result: HttpResult): void => {
      if (settled) return
      settled = true
      resolve(result)
    }
    const outgoing = httpsRequest({
      host: target.hostname,
      port: target.port,
      path: target.path,
      method: spec.method,
      headers: spec.headers,
      agent: httpsAgent,
      ...(spec.timeoutMs > 0 ? { timeout: spec.timeoutMs } : {}),
    })
    let connected = false
    outgoing.on('socket', (socket) => {
      socket.once('secureConnect', () => {
        connected = true
      })
      if (!socket.connecting) connected = true
    })
    outgoing.on('response', (incoming: IncomingMessage) => {
      const firstByteAt = performance.now()
      const chunks: Buffer[] = []
      let bytes = 0
      incoming.on('data', (chunk: Buffer) => {
        if (spec.discardBody !== true) chunks.push(chunk)
        bytes += chunk.length
      })
      incoming.on('end', () => {
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(incoming.headers)) {
          if (value !== undefined)
            headers[canonicalHeaderName(name)] = Array.isArray(value) ? value.join(', ') : value
        }
        const status = incoming.statusCode ?? 0
        const now = performance.now()
        settle({
          status,
          statusText: `${status} ${incoming.statusMessage ?? ''}`.trimEnd(),
          headers,
          body: spec.discardBody === true ? null : Buffer.concat(chunks).toString('utf8'),
          errorCode: status >= 400 ? 1000 + status : 0,
          error: '',
          bytesReceived: bytes,
          bytesSent,
          timings: {
            blocked: 0,
            connecting: 0,
            tls_handshaking: 0,
            sending: 0,
            waiting: firstByteAt - started,
            receiving: now - firstByteAt,
            duration: now - started,
          },
        })
      })
      incoming.on('error', (error: Error) => {
        settle(failedResult(failureFromSocketError(error, true), performance.now() - started, 0))
      })
    })
    outgoing.on('timeout', () => {
      settle(
        failedResult(
          { code: K6_ERROR_CODES.requestTimeout, message: REQUEST_TIMEOUT_MESSAGE },
          performance.now() - started,
          bytesSent,
        ),
      )
      outgoing.destroy()
    })
    outgoing.on('error', (error: Error) => {
      settle(
        failedResult(
          failureFromSocketError(error, connected),
          performance.now() - started,
          bytesSent,
        ),
      )
    })
    outgoing.end(spec.body)
  })
}

/** One VU's connections and requests. */
export class HttpClient {
  readonly #pools = new Map<string, HttpConnection[]>()
  readonly #onConnectionClosed = (connection: HttpConnection): void => {
    const pool = this.#pools.get(connection.authority)
    if (pool === undefined) return
    const at = pool.indexOf(connection)
    if (at !== -1) pool.splice(at, 1)
    if (pool.length === 0) this.#pools.delete(connection.authority)
  }

  /** Open connections (idle or busy). */
  get connectionCount(): number {
    let count = 0
    for (const pool of this.#pools.values()) count += pool.length
    return count
  }

  /**
   * Sends one request. Resolves with the response or with k6's error code; rejects only with
   * a TypeError when a header holds a line break (the script's mistake).
   */
  request(spec: HttpRequestSpec): Promise<HttpResult> {
    return new Promise((resolve) => {
      this.send(spec, resolve)
    })
  }

  /**
   * {@link request} with a callback: `done` is called once, on a later tick, with the
   * response or k6's error code (one Promise fewer per request for callers that make their own).
   *
   * @throws TypeError synchronously when a header holds a line break (the script's mistake).
   */
  send(spec: HttpRequestSpec, done: (result: HttpResult) => void): void {
    const target = parseHttpTarget(spec.url)
    if (target === undefined) {
      const failure = {
        code: K6_ERROR_CODES.invalidUrl,
        message: `invalid URL "${spec.url.slice(0, 200)}"`,
      }
      queueMicrotask(() => {
        done(failedResult(failure, 0, 0))
      })
      return
    }
    if (target.protocol === 'https:') {
      void requestOverTls(spec, target).then(done)
      return
    }
    const request = buildRequest(spec.method, target, spec.headers, spec.body)
    new Exchange(this, spec, target, request, done).start()
  }

  /** An idle open connection to `target`, or a new one. */
  connectionFor(target: HttpTarget): HttpConnection {
    let pool = this.#pools.get(target.authority)
    if (pool === undefined) {
      pool = []
      this.#pools.set(target.authority, pool)
    }
    for (const connection of pool) {
      if (!connection.busy && !connection.closed) return connection
    }
    const connection = new HttpConnection(
      target.hostname,
      target.port,
      target.authority,
      this.#onConnectionClosed,
    )
    pool.push(connection)
    return connection
  }

  /** Closes every connection; outstanding requests resolve with `reason` (code 1000). */
  close(reason: string): void {
    for (const pool of [...this.#pools.values()]) {
      for (const connection of [...pool]) connection.destroy(reason)
    }
    this.#pools.clear()
  }
}

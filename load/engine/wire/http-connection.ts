/**
 * One HTTP/1.1 keep-alive connection over a raw `net` socket that reads into the thread's
 * shared buffer (`onread`): no Buffer per read, no stream machinery, one write per request,
 * one request at a time. It parses responses with {@link HttpResponseParser} and hands
 * head, body bytes and end to the current {@link HttpExchange}. Faults of the peer reach
 * the exchange as k6 error codes (`onError`), never as exceptions.
 *
 * Plain `http:` only: TLS sockets have no `onread`, so https requests take node:https
 * (see http-client.ts).
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import type { HttpFailure } from './http-errors.ts'
import { failureFromSocketError, K6_ERROR_CODES, REQUEST_TIMEOUT_MESSAGE } from './http-errors.ts'
import { httpReadBuffer } from './http-read-buffer.ts'
import type { HttpResponseHandler, HttpResponseHead } from './http-response-parser.ts'
import { HttpResponseParser, PARSE_FAILED } from './http-response-parser.ts'

/** One request's view of the connection: what the parser reads, plus reads and failures. */
export interface HttpExchange extends HttpResponseHandler {
  /** `bytes` arrived for this exchange (called before they are parsed). */
  onRead(bytes: number): void
  /** The read handed over has been parsed and the response is not complete yet. */
  onReadEnd(): void
  /**
   * The exchange failed. `retryable` is true when the request may be sent again on a new
   * connection: the connection had served a response before and died before any byte of
   * this one came (a keep-alive socket the server had closed while idle).
   */
  onError(failure: HttpFailure, retryable: boolean): void
}

/** Called once when a connection is closed for good, so its pool forgets it. */
export type ConnectionClosed = (connection: HttpConnection) => void

/** One keep-alive connection to one `host:port`. */
export class HttpConnection implements HttpResponseHandler {
  /** `host:port` this connection goes to. */
  readonly authority: string
  /** `performance.now()` when dialing began. */
  readonly dialedAt: number
  /** `performance.now()` when the TCP connection was established; 0 before. */
  connectedAt = 0
  /** True once a response has completed on it (it is a reused keep-alive connection). */
  reused = false
  /** True once the socket is closing or closed: no more requests. */
  closed = false
  readonly #socket: Socket
  readonly #parser: HttpResponseParser
  readonly #onClosed: ConnectionClosed
  #exchange: HttpExchange | undefined
  #keepAlive = true
  #timer: NodeJS.Timeout | undefined
  #timerMs = 0

  constructor(hostname: string, port: number, authority: string, onClosed: ConnectionClosed) {
    this.authority = authority
    this.#onClosed = onClosed
    this.#parser = new HttpResponseParser(this)
    this.dialedAt = performance.now()
    this.#socket = connect({
      host: hostname,
      port,
      noDelay: true,
      onread: { buffer: httpReadBuffer, callback: this.#onSocketRead },
    })
    this.#socket.on('connect', this.#onConnect)
    this.#socket.on('end', this.#onEnd)
    this.#socket.on('error', this.#onSocketError)
    this.#socket.on('close', this.#onClose)
  }

  /** True while a request is outstanding. */
  get busy(): boolean {
    return this.#exchange !== undefined
  }

  /**
   * Writes `request` and reads its response into `exchange`. `timeoutMs` bounds the whole
   * exchange (0: none); `noBody` for HEAD.
   *
   * @throws Error when the connection is busy or closed (a bug in the caller).
   */
  send(request: string, noBody: boolean, timeoutMs: number, exchange: HttpExchange): void {
    if (this.#exchange !== undefined || this.closed) {
      throw new Error(
        `HttpConnection.send on a ${this.closed ? 'closed' : 'busy'} connection: pick an idle one`,
      )
    }
    this.#exchange = exchange
    this.#parser.reset(noBody)
    if (timeoutMs > 0) this.#armTimer(timeoutMs)
    this.#socket.write(request)
  }

  /** Closes the connection; an outstanding exchange fails with `reason`. */
  destroy(reason: string): void {
    this.#fail({ code: K6_ERROR_CODES.generic, message: reason }, false)
    this.#shut()
  }

  /** Only the exchange of an open connection may still time out: one timer, refreshed. */
  #armTimer(timeoutMs: number): void {
    if (this.#timer !== undefined && this.#timerMs === timeoutMs) {
      this.#timer.refresh()
      return
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timerMs = timeoutMs
    this.#timer = setTimeout(this.#onTimeout, timeoutMs)
    // An idle connection's timer must not keep the thread alive.
    this.#timer.unref()
  }

  readonly #onTimeout = (): void => {
    // The timer runs on after an exchange ends (refreshed by the next): idle, it means nothing.
    if (this.#exchange === undefined) return
    this.#fail({ code: K6_ERROR_CODES.requestTimeout, message: REQUEST_TIMEOUT_MESSAGE }, false)
    this.#shut()
  }

  #shut(): void {
    this.closed = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#socket.destroy()
  }

  #fail(failure: HttpFailure, retryable: boolean): void {
    const exchange = this.#exchange
    if (exchange === undefined) return
    this.#exchange = undefined
    exchange.onError(failure, retryable)
  }

  readonly #onConnect = (): void => {
    this.connectedAt = performance.now()
  }

  readonly #onSocketRead = (bytes: number, buffer: Uint8Array): boolean => {
    const exchange = this.#exchange
    if (exchange === undefined) {
      // Bytes nobody asked for: the connection's framing can no longer be trusted.
      this.#shut()
      return false
    }
    exchange.onRead(bytes)
    const at = this.#parser.feed(buffer as Buffer, 0, bytes)
    if (at === PARSE_FAILED) {
      this.#fail({ code: K6_ERROR_CODES.generic, message: this.#parser.error }, false)
      this.#shut()
      return false
    }
    if (this.#exchange === exchange) exchange.onReadEnd()
    else if (at < bytes) this.#shut()
    return true
  }

  readonly #onEnd = (): void => {
    this.closed = true
    if (this.#exchange !== undefined && !this.#parser.endOfInput()) {
      this.#fail(
        { code: K6_ERROR_CODES.generic, message: 'unexpected EOF' },
        this.reused && !this.#parser.started,
      )
    }
  }

  readonly #onSocketError = (error: Error): void => {
    this.closed = true
    const failure = failureFromSocketError(error, this.connectedAt !== 0)
    const deadKeepAlive =
      failure.code === K6_ERROR_CODES.tcpResetByPeer ||
      failure.code === K6_ERROR_CODES.tcpBrokenPipe
    this.#fail(failure, deadKeepAlive && this.reused && !this.#parser.started)
  }

  readonly #onClose = (): void => {
    this.closed = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#fail({ code: K6_ERROR_CODES.generic, message: 'connection closed' }, false)
    this.#onClosed(this)
  }

  /** Parser callback: the head of the current response. */
  onHead(head: HttpResponseHead): void {
    this.#keepAlive = head.keepAlive
    this.#exchange?.onHead(head)
  }

  /** Parser callback: body bytes of the current response. */
  onBody(buffer: Buffer, start: number, end: number): void {
    this.#exchange?.onBody(buffer, start, end)
  }

  /** Parser callback: the current response is complete. */
  onComplete(): void {
    const exchange = this.#exchange
    this.#exchange = undefined
    this.reused = true
    if (!this.#keepAlive) this.#shut()
    exchange?.onComplete()
  }
}

/**
 * One Server-Sent Events stream for the engine's `k6/x/sse`: a request on its own lean
 * connection ({@link HttpConnection}: raw socket, shared read buffer), the body de-chunked
 * by the response parser, decoded as UTF-8 across reads ({@link SseUtf8Decoder}) and parsed
 * into events by eventsource-parser. `https:` streams go over node:https (TLS sockets have
 * no `onread`).
 *
 * Faults (refused, reset, a non-200 reply) reach the handler as values, never as throws.
 */
import type { IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { createParser } from 'eventsource-parser'
import type { EventSourceMessage, EventSourceParser } from 'eventsource-parser'
import { HttpConnection } from './http-connection.ts'
import type { HttpExchange } from './http-connection.ts'
import type { HttpFailure } from './http-errors.ts'
import { failureFromSocketError, K6_ERROR_CODES } from './http-errors.ts'
import { buildRequest, parseHttpTarget } from './http-request.ts'
import type { HttpResponseHead } from './http-response-parser.ts'
import { canonicalHeaderName } from './http-response-parser.ts'
import { SseUtf8Decoder } from './sse-utf8-decoder.ts'

/** What the stream reports, in order: head, events and bytes, then one close. */
export interface SseStreamHandler {
  /** The response head arrived (any status; only 200 streams events). */
  onHead(status: number, headers: Record<string, string>): void
  /** One dispatched event. The object may be reused by the next call. */
  onEvent(event: EventSourceMessage): void
  /** `bytes` came off the wire (head and chunk framing included). */
  onBytes(bytes: number): void
  /** The stream is over: `failure` is undefined when it ended cleanly or was closed here. */
  onClose(failure: HttpFailure | undefined): void
}

/** The request that opens a stream. */
export interface SseRequest {
  method: string
  headers: Readonly<Record<string, string>>
  body?: string | undefined
}

/** An open (or opening) event stream; {@link close} ends it. */
export interface SseStream {
  close(): void
}

/** A parser that stops dispatching once `isDone()` (a handler closed the stream mid-read). */
function newParser(handler: SseStreamHandler, isDone: () => boolean): EventSourceParser {
  return createParser({
    onEvent(event) {
      if (!isDone()) handler.onEvent(event)
    },
  })
}

/** The stream on a lean connection: the connection's current (and only) exchange. */
class LeanSseStream implements HttpExchange, SseStream {
  readonly #handler: SseStreamHandler
  readonly #parser: EventSourceParser
  readonly #decoder = new SseUtf8Decoder()
  readonly #connection: HttpConnection
  #streaming = false
  #done = false

  constructor(
    handler: SseStreamHandler,
    hostname: string,
    port: number,
    authority: string,
    request: string,
  ) {
    this.#handler = handler
    this.#parser = newParser(handler, () => this.#done)
    this.#connection = new HttpConnection(hostname, port, authority, () => undefined)
    this.#connection.send(request, false, 0, this)
  }

  close(): void {
    if (this.#done) return
    this.#finish(undefined)
    this.#connection.destroy('stream closed')
  }

  onRead(bytes: number): void {
    this.#handler.onBytes(bytes)
  }

  onReadEnd(): void {
    // Events are parsed as bytes arrive; nothing is held between reads but the decoder's carry.
  }

  onHead(head: HttpResponseHead): void {
    this.#handler.onHead(head.status, head.headers)
    if (this.#done) return
    if (head.status === 200) this.#streaming = true
    else this.close()
  }

  onBody(buffer: Buffer, start: number, end: number): void {
    if (!this.#streaming || this.#done) return
    const text = this.#decoder.decode(buffer, start, end)
    if (text !== '') this.#parser.feed(text)
  }

  onComplete(): void {
    this.#finish(undefined)
    this.#connection.destroy('stream ended')
  }

  onError(failure: HttpFailure): void {
    this.#finish(failure)
  }

  #finish(failure: HttpFailure | undefined): void {
    if (this.#done) return
    this.#done = true
    this.#streaming = false
    this.#handler.onClose(failure)
  }
}

/** The stream over node:https. */
function openOverTls(url: string, request: SseRequest, handler: SseStreamHandler): SseStream {
  let done = false
  let connected = false
  const finish = (failure: HttpFailure | undefined): void => {
    if (done) return
    done = true
    handler.onClose(failure)
  }
  const parser = newParser(handler, () => done)
  const outgoing = httpsRequest(url, { method: request.method, headers: request.headers })
  outgoing.on('socket', (socket) => {
    socket.once('secureConnect', () => {
      connected = true
    })
  })
  outgoing.on('response', (incoming: IncomingMessage) => {
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (value !== undefined)
        headers[canonicalHeaderName(name)] = Array.isArray(value) ? value.join(', ') : value
    }
    handler.onHead(incoming.statusCode ?? 0, headers)
    if (incoming.statusCode !== 200 || done) {
      outgoing.destroy()
      finish(undefined)
      return
    }
    incoming.setEncoding('utf8')
    incoming.on('data', (chunk: string) => {
      handler.onBytes(Buffer.byteLength(chunk))
      if (!done) parser.feed(chunk)
    })
    incoming.on('end', () => {
      finish(undefined)
    })
    incoming.on('error', (error: Error) => {
      finish(failureFromSocketError(error, true))
    })
  })
  outgoing.on('error', (error: Error) => {
    finish(failureFromSocketError(error, connected))
  })
  outgoing.on('close', () => {
    finish(undefined)
  })
  outgoing.end(request.body)
  return {
    close() {
      finish(undefined)
      outgoing.destroy()
    },
  }
}

/**
 * Opens a stream. An unusable URL is reported through `onClose` (k6 code 1020) on a later
 * tick, so the caller's handlers see every outcome the same way.
 *
 * @throws TypeError when a header holds a line break (the script's mistake).
 */
export function openSseStream(
  url: string,
  request: SseRequest,
  handler: SseStreamHandler,
): SseStream {
  const target = parseHttpTarget(url)
  if (target === undefined) {
    let closed = false
    queueMicrotask(() => {
      if (!closed)
        handler.onClose({
          code: K6_ERROR_CODES.invalidUrl,
          message: `invalid URL "${url.slice(0, 200)}"`,
        })
    })
    return {
      close() {
        closed = true
      },
    }
  }
  if (target.protocol === 'https:') return openOverTls(url, request, handler)
  const text = buildRequest(request.method, target, request.headers, request.body)
  return new LeanSseStream(handler, target.hostname, target.port, target.authority, text)
}

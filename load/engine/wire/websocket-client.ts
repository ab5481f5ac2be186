/**
 * A lean WebSocket client for `ws://` URLs: a raw `net` socket read through Node's
 * `onread: { buffer, callback }` option into one static buffer per thread (no Buffer
 * allocated per read, no stream machinery), the opening handshake of
 * websocket-handshake.ts, the frame parser of websocket-frame-parser.ts and masked frames
 * from websocket-frame-writer.ts.
 *
 * Text messages are decoded straight from the read buffer; only a frame split across reads
 * is copied. A ping is answered with a pong at once. Faults of the server (a bad handshake,
 * a protocol violation, a dropped connection) arrive as `onError`/`onClose` events, never
 * as exceptions; misuse (sending before the socket is open, an invalid close code) throws.
 *
 * TLS sockets do not support `onread`, so `wss://` URLs are not handled here.
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { CLOSE_CODE, OPCODE, WEBSOCKET_CLIENT_DEFAULTS } from './websocket-constants.ts'
import type { FrameParserEvents } from './websocket-frame-parser.ts'
import { WebSocketFrameParser } from './websocket-frame-parser.ts'
import { closePayload, encodeClientFrame } from './websocket-frame-writer.ts'
import {
  MAX_HANDSHAKE_RESPONSE_BYTES,
  buildUpgradeRequest,
  checkUpgradeResponse,
  createHandshakeKey,
  findHeadEnd,
} from './websocket-handshake.ts'

/** What a client socket reports; the k6 module implements it. */
export interface WebSocketEvents {
  /** The handshake succeeded; `protocol` is the chosen subprotocol ('' for none). */
  onOpen(protocol: string): void
  onText(text: string): void
  onBinary(data: ArrayBuffer): void
  onPing(): void
  onPong(): void
  /** A fault: failed handshake, protocol violation, socket error. `onClose` follows. */
  onError(message: string): void
  /** The connection is gone; `code` 1006 when no close frame was exchanged. Called once. */
  onClose(code: number, reason: string, wasClean: boolean): void
  /** Bytes read from the socket (handshake and frames, as on the wire). */
  onBytesReceived(bytes: number): void
  /** Bytes written to the socket (handshake and frames, as on the wire). */
  onBytesSent(bytes: number): void
}

/** The socket operations the k6 module uses, whichever client is behind them. */
export interface WireWebSocket {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number
  /** Bytes queued in the process and not yet handed to the kernel. */
  readonly bufferedAmount: number
  /** Sends a text (string) or binary (bytes) message. */
  send(data: string | Uint8Array): void
  ping(): void
  /** Starts the close handshake. */
  close(code?: number, reason?: string): void
  /** Drops the connection without a close handshake. */
  terminate(): void
}

/** Options of {@link LeanWebSocket}; defaults in {@link WEBSOCKET_CLIENT_DEFAULTS}. */
export interface LeanWebSocketOptions {
  protocols?: readonly string[]
  headers?: Readonly<Record<string, string>> | undefined
  /** Largest message accepted; default 100 MiB. */
  maxPayload?: number
  /** Opening handshake time limit, ms; default 30 000. */
  handshakeTimeoutMs?: number
  /** Wait for the server to end TCP after the close handshake, ms; default 30 000. */
  closeTimeoutMs?: number
}

/** One static read buffer per thread: every read lands here and is parsed at once. */
const READ_BUFFER = Buffer.allocUnsafeSlow(64 * 1024)
const CLIENT = Symbol('LeanWebSocket')

type ClientSocket = Socket & { [CLIENT]?: LeanWebSocket | undefined }

// Socket callbacks are shared functions that find their client through the socket (`this`):
// a closure per socket would cost memory per VU and keep the request text alive.

/** `onread` callback. */
function onSocketRead(this: ClientSocket, nread: number, buffer: Buffer): boolean {
  this[CLIENT]?.received(buffer, nread)
  return true
}

function onSocketConnect(this: ClientSocket): void {
  this[CLIENT]?.connected()
}

/** The handshake timer's callback (one shared function; the client is its argument). */
function onHandshakeTimeout(client: LeanWebSocket): void {
  client.timedOut()
}

function onSocketError(this: ClientSocket, error: Error): void {
  this[CLIENT]?.socketError(error)
}

function onSocketClose(this: ClientSocket): void {
  this[CLIENT]?.closed()
}

const CONNECTING = 0
const OPEN = 1
const CLOSING = 2
const CLOSED = 3

/** A `ws://` client on a raw socket. */
export class LeanWebSocket implements WireWebSocket, FrameParserEvents {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readyState = CONNECTING
  /** The subprotocol the server chose ('' for none). */
  protocol = ''
  readonly #socket: ClientSocket
  readonly #events: WebSocketEvents
  /** `Sec-WebSocket-Key`, until the handshake is checked. */
  #key = createHandshakeKey()
  /** The upgrade request, until it is written. */
  #request: string | undefined
  readonly #protocols: readonly string[]
  readonly #maxPayload: number
  readonly #closeTimeoutMs: number
  #parser: WebSocketFrameParser | undefined
  /** The response head while it arrives. */
  #head: Buffer | undefined
  #headLength = 0
  #closeSent = false
  #closeReceived = false
  #closeCode: number = CLOSE_CODE.abnormal
  #closeReason = ''
  /**
   * The opening handshake's time limit: a timer of its own, not `socket.setTimeout`. A socket
   * that ever had an idle timeout refreshes it on every read for the rest of its life, even
   * after `setTimeout(0)` (Node keeps the cleared timer and calls `refresh()` on it): a
   * function of its own in `perf` profiles of the engine at 5000 VUs.
   */
  #handshakeTimer: NodeJS.Timeout | undefined
  #closeTimer: NodeJS.Timeout | undefined
  #errorReported = false

  /**
   * Connects at once; events arrive on `events`.
   *
   * @throws Error when `url` is not a `ws://` URL, or a subprotocol or header is invalid.
   */
  constructor(url: string | URL, events: WebSocketEvents, options: LeanWebSocketOptions = {}) {
    const target = typeof url === 'string' ? new URL(url) : url
    if (target.protocol !== 'ws:') {
      throw new Error(
        `LeanWebSocket connects only ws:// URLs, got "${target.protocol}//" (use the ws package for wss://)`,
      )
    }
    this.#events = events
    this.#protocols = options.protocols ?? []
    this.#maxPayload = options.maxPayload ?? WEBSOCKET_CLIENT_DEFAULTS.maxPayload
    this.#closeTimeoutMs = options.closeTimeoutMs ?? WEBSOCKET_CLIENT_DEFAULTS.closeTimeoutMs
    this.#request = buildUpgradeRequest({
      host: target.host,
      path: `${target.pathname}${target.search}`,
      key: this.#key,
      protocols: this.#protocols,
      headers: options.headers,
    })
    const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1')
    const socket: ClientSocket = connect({
      host: hostname,
      port: target.port === '' ? 80 : Number(target.port),
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: onSocketRead },
    })
    socket[CLIENT] = this
    this.#socket = socket
    this.#handshakeTimer = setTimeout(
      onHandshakeTimeout,
      options.handshakeTimeoutMs ?? WEBSOCKET_CLIENT_DEFAULTS.handshakeTimeoutMs,
      this,
    ).unref()
    socket.once('connect', onSocketConnect)
    socket.on('error', onSocketError)
    socket.once('close', onSocketClose)
  }

  get bufferedAmount(): number {
    return this.#socket.writableLength
  }

  /**
   * Sends one message: a string as text, bytes as binary. Ignored once closing (as a
   * browser's WebSocket drops it).
   *
   * @throws Error while the socket is still connecting.
   */
  send(data: string | Uint8Array): void {
    if (this.readyState === CONNECTING) {
      throw new Error('WebSocket is not open yet (readyState 0): send after the open event')
    }
    if (this.readyState !== OPEN) return
    this.#write(encodeClientFrame(typeof data === 'string' ? OPCODE.text : OPCODE.binary, data))
  }

  /** Sends a ping (its pong arrives as `onPong`). */
  ping(): void {
    if (this.readyState === OPEN) this.#write(encodeClientFrame(OPCODE.ping, EMPTY))
  }

  /**
   * Starts the close handshake with `code` (1000 or 3000–4999) and an optional reason; before
   * the socket opened it drops the connection instead (close event 1006).
   *
   * @throws RangeError for another code or a reason over 123 bytes.
   */
  close(code: number = CLOSE_CODE.normal, reason = ''): void {
    if (code !== CLOSE_CODE.normal && (code < 3000 || code > 4999)) {
      throw new RangeError(`close code must be 1000 or 3000-4999, got ${code}`)
    }
    const payload = closePayload(code, reason)
    if (this.readyState === CONNECTING) {
      this.#abort('WebSocket was closed before the connection was established')
      return
    }
    if (this.readyState !== OPEN) return
    this.#sendClose(payload)
  }

  /** Drops the connection without a close handshake (close event 1006). */
  terminate(): void {
    this.#parser?.stop()
    this.#socket.destroy()
  }

  /** Bytes of one read (called by the socket's `onread`; not for other callers). */
  received(buffer: Buffer, length: number): void {
    this.#events.onBytesReceived(length)
    const parser = this.#parser
    if (parser !== undefined) parser.push(buffer, 0, length)
    else if (this.readyState === CONNECTING) this.#handshakeBytes(buffer, length)
  }

  /** @internal The TCP connection is up: sends the upgrade request. */
  connected(): void {
    const request = this.#request ?? ''
    this.#request = undefined
    this.#socket.write(request, 'latin1')
    this.#events.onBytesSent(request.length)
  }

  /** @internal The handshake did not finish within its time limit. */
  timedOut(): void {
    if (this.readyState === CONNECTING) this.#abort('the opening handshake timed out')
  }

  /** @internal */
  socketError(error: Error): void {
    this.#reportError(error.message)
  }

  // --- FrameParserEvents -------------------------------------------------------------

  /** @internal */
  onMessage(binary: boolean, bytes: Buffer, start: number, end: number): void {
    // As in browsers, messages after close() are dropped.
    if (this.readyState !== OPEN) return
    if (binary) {
      const offset = bytes.byteOffset
      this.#events.onBinary(bytes.buffer.slice(offset + start, offset + end) as ArrayBuffer)
    } else {
      this.#events.onText(bytes.toString('utf8', start, end))
    }
  }

  /** @internal */
  onPing(bytes: Buffer, start: number, end: number): void {
    if (!this.#closeSent) this.#write(encodeClientFrame(OPCODE.pong, bytes.subarray(start, end)))
    this.#events.onPing()
  }

  /** @internal */
  onPong(): void {
    this.#events.onPong()
  }

  /** @internal */
  onClose(code: number, reason: string): void {
    this.#closeReceived = true
    this.#closeCode = code
    this.#closeReason = reason
    // Echo the server's code (RFC 6455 §5.5.1); 1005 means it sent none, so neither do we.
    if (!this.#closeSent) {
      this.#sendClose(code === CLOSE_CODE.noStatus ? EMPTY : closePayload(code, ''))
    }
    // The server closes TCP first (§7.1.1); ending our side too lets it see FIN at once.
    this.#socket.end()
  }

  /** @internal */
  onProtocolError(code: number, message: string): void {
    this.#reportError(message)
    if (!this.#closeSent) this.#sendClose(closePayload(code, ''))
    this.#closeCode = code
    this.#socket.end()
  }

  // --- internals ---------------------------------------------------------------------

  #handshakeBytes(buffer: Buffer, length: number): void {
    const needed = this.#headLength + length
    let head = this.#head
    if (head === undefined || head.length < needed) {
      const bigger = Buffer.allocUnsafe(Math.max(1024, needed))
      if (head !== undefined) head.copy(bigger, 0, 0, this.#headLength)
      head = bigger
      this.#head = head
    }
    buffer.copy(head, this.#headLength, 0, length)
    this.#headLength = needed
    const headEnd = findHeadEnd(head, needed)
    if (headEnd < 0) {
      if (needed > MAX_HANDSHAKE_RESPONSE_BYTES) {
        this.#abort(`the handshake response head is over ${MAX_HANDSHAKE_RESPONSE_BYTES} bytes`)
      }
      return
    }
    this.#head = undefined
    const key = this.#key
    this.#key = ''
    const verdict = checkUpgradeResponse(
      head.toString('latin1', 0, headEnd - 4),
      key,
      this.#protocols,
    )
    if (!verdict.ok) {
      this.#abort(verdict.message)
      return
    }
    this.protocol = verdict.protocol
    this.readyState = OPEN
    this.#stopHandshakeTimer()
    const parser = new WebSocketFrameParser(this, this.#maxPayload)
    this.#parser = parser
    this.#events.onOpen(this.protocol)
    // Frames that came in the same read as the response head.
    if (headEnd < needed && this.readyState !== CLOSED) parser.push(head, headEnd, needed)
  }

  #stopHandshakeTimer(): void {
    if (this.#handshakeTimer === undefined) return
    clearTimeout(this.#handshakeTimer)
    this.#handshakeTimer = undefined
  }

  #sendClose(payload: Buffer): void {
    this.#closeSent = true
    this.readyState = CLOSING
    this.#write(encodeClientFrame(OPCODE.close, payload))
    this.#closeTimer ??= setTimeout(() => {
      this.#socket.destroy()
    }, this.#closeTimeoutMs)
  }

  #write(frame: Buffer): void {
    if (this.#socket.destroyed || this.#socket.writableEnded) return
    this.#socket.write(frame)
    this.#events.onBytesSent(frame.length)
  }

  /** Reports a fault and drops the connection (close event 1006). */
  #abort(message: string): void {
    this.#reportError(message)
    this.#parser?.stop()
    this.#socket.destroy()
  }

  #reportError(message: string): void {
    // One error event per connection, as a browser fires (later ones follow from the first).
    if (this.#errorReported || this.readyState === CLOSED) return
    this.#errorReported = true
    this.#events.onError(message)
  }

  /** @internal The TCP socket is closed: reports the close event once. */
  closed(): void {
    if (this.readyState === CLOSED) return
    this.readyState = CLOSED
    this.#parser?.stop()
    this.#stopHandshakeTimer()
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer)
    this.#socket[CLIENT] = undefined
    this.#events.onClose(
      this.#closeCode,
      this.#closeReason,
      this.#closeSent && this.#closeReceived && !this.#errorReported,
    )
  }
}

const EMPTY = Buffer.alloc(0)

/**
 * `k6/websockets`: k6's browser-like WebSocket, with k6's built-in metrics (`ws_connecting`,
 * `ws_sessions`, `ws_msgs_received`, `ws_msgs_sent`, `ws_session_duration`,
 * `data_received`, `data_sent`).
 *
 * `ws://` URLs use the lean client of `load/engine/wire` (a raw socket read into one static
 * buffer per thread, a hand-written handshake and frame parser: see websocket-client.ts);
 * `wss://` URLs use the `ws` package, because TLS sockets do not support Node's `onread`
 * option that the lean client is built on.
 *
 * Per received message the work is: decode the text straight from the read buffer, count
 * it, make its event, call the handler. The `url` tag drops the query string so
 * resume cursors do not create a series per connection.
 */
import type { SeriesBuffer } from '../metric-sink.ts'
import type { VuContext, VuResource } from '../vu-context.ts'
import { printScriptError } from '../script-errors.ts'
import type { WebSocketEvents, WireWebSocket } from '../wire/websocket-client.ts'
import { LeanWebSocket } from '../wire/websocket-client.ts'
import { WsPackageWebSocket } from '../wire/websocket-ws-package-client.ts'

type Listener = (event: unknown) => void

interface MessageEventShape {
  type: 'message'
  data: string | ArrayBuffer
  timestamp: number
}

type SocketParams = { headers?: Record<string, string>; tags?: Record<string, string> } | null

type EventName = 'open' | 'close' | 'error' | 'ping' | 'pong'

/**
 * One k6 WebSocket of one VU; it receives the wire client's events itself.
 *
 * Field order is layout: V8 lays out fields in the order they are defined, so the ones every
 * received message reads come first and share a cache line. With thousands of VUs on a
 * thread, each message finds its VU's objects out of cache; every line it touches costs.
 */
class VuWebSocket implements VuResource, WebSocketEvents {
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  static readonly CLOSING = 2
  static readonly CLOSED = 3
  // On the prototype (below), as in browsers: four fields less in every socket.
  declare readonly CONNECTING: 0
  declare readonly OPEN: 1
  declare readonly CLOSING: 2
  declare readonly CLOSED: 3
  // --- read for every message
  readonly #bytesInSeries: SeriesBuffer
  readonly #receivedSeries: SeriesBuffer
  onmessage: Listener | null = null
  #listeners: Map<string, Listener[]> | undefined
  // --- the rest
  readonly url: string
  /** The subprotocol the server chose ('' until open, or for none). */
  protocol = ''
  binaryType: 'blob' | 'arraybuffer' = 'arraybuffer'
  onopen: Listener | null = null
  onclose: Listener | null = null
  onerror: Listener | null = null
  onping: Listener | null = null
  onpong: Listener | null = null
  readonly #socket: WireWebSocket
  readonly #vu: VuContext
  readonly #tags: Record<string, string>
  #sentSeries: SeriesBuffer | undefined
  #bytesOutSeries: SeriesBuffer | undefined
  readonly #startedAt = Date.now()
  #openedAt = 0

  constructor(
    vu: VuContext,
    url: string,
    protocols?: string | string[] | null,
    params?: SocketParams,
  ) {
    this.#vu = vu
    this.url = url
    const bare = url.split('?')[0] ?? url
    this.#tags = { url: bare, ...params?.tags }
    this.#receivedSeries = vu.series(vu.metric('ws_msgs_received', 'counter'), this.#tags)
    this.#bytesInSeries = vu.series(vu.metric('data_received', 'counter', 'data'), this.#tags)
    const options = {
      protocols: protocols === undefined || protocols === null ? [] : [protocols].flat(),
      headers: params?.headers,
    }
    // Before connecting: the first bytes are counted against this object's series.
    this.#bytesOutSeries = vu.series(vu.metric('data_sent', 'counter', 'data'), this.#tags)
    this.#socket = url.startsWith('wss:')
      ? new WsPackageWebSocket(url, this, options)
      : new LeanWebSocket(url, this, options)
    vu.resources.add(this)
  }

  /** The wire client behind `resource` when it is a k6 WebSocket (see {@link wireSocketOf}). */
  static wireOf(resource: VuResource): WireWebSocket | undefined {
    return #socket in resource ? resource.#socket : undefined
  }

  get readyState(): number {
    return this.#socket.readyState
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount
  }

  /** Sends a string as text, an ArrayBuffer or a view of one as binary. */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    const payload =
      typeof data === 'string'
        ? data
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : new Uint8Array(data)
    this.#socket.send(payload)
    this.#sentSeries ??= this.#vu.series(this.#vu.metric('ws_msgs_sent', 'counter'), this.#tags)
    this.#sentSeries.add(1)
  }

  ping(): void {
    this.#socket.ping()
  }

  close(code?: number, reason?: string): void {
    this.#socket.close(code ?? 1000, reason)
  }

  addEventListener(name: string, listener: Listener): void {
    this.#listeners ??= new Map()
    const list = this.#listeners.get(name) ?? []
    list.push(listener)
    this.#listeners.set(name, list)
  }

  /** Hard stop: drop the connection without a closing handshake. */
  release(): void {
    this.#socket.terminate()
  }

  // --- WebSocketEvents (called by the wire client) -------------------------------------

  /** @internal */
  onOpen(protocol: string): void {
    const vu = this.#vu
    this.protocol = protocol
    this.#openedAt = Date.now()
    vu.series(vu.metric('ws_connecting', 'trend', 'time'), this.#tags).add(
      this.#openedAt - this.#startedAt,
    )
    vu.series(vu.metric('ws_sessions', 'counter'), this.#tags).add(1)
    this.#emit('open', { type: 'open', timestamp: this.#openedAt })
  }

  /** @internal */
  onText(text: string): void {
    this.#message(text)
  }

  /** @internal */
  onBinary(data: ArrayBuffer): void {
    this.#message(data)
  }

  /** @internal */
  onPing(): void {
    this.#emit('ping', { type: 'ping', timestamp: Date.now() })
  }

  /** @internal */
  onPong(): void {
    this.#emit('pong', { type: 'pong', timestamp: Date.now() })
  }

  /** @internal */
  onError(message: string): void {
    this.#emit('error', { type: 'error', error: message, timestamp: Date.now() })
  }

  /** @internal */
  onClose(code: number, reason: string, wasClean: boolean): void {
    const vu = this.#vu
    vu.resources.delete(this)
    if (this.#openedAt > 0) {
      vu.series(vu.metric('ws_session_duration', 'trend', 'time'), this.#tags).add(
        Date.now() - this.#openedAt,
      )
    }
    this.#emit('close', { type: 'close', code, reason, wasClean, timestamp: Date.now() })
  }

  /** @internal */
  onBytesReceived(bytes: number): void {
    this.#bytesInSeries.add(bytes)
  }

  /** @internal */
  onBytesSent(bytes: number): void {
    this.#bytesOutSeries?.add(bytes)
  }

  #message(data: string | ArrayBuffer): void {
    this.#receivedSeries.add(1)
    // A new event per message, as in k6: a young object the optimizer can often elide, where
    // one reused event (old by then) took a write barrier per message.
    const event: MessageEventShape = { type: 'message', data, timestamp: Date.now() }
    const handler = this.onmessage
    if (handler !== null) this.#call(handler, event)
    const more = this.#listeners?.get('message')
    if (more !== undefined) for (const listener of more) this.#call(listener, event)
  }

  #emit(name: EventName, event: unknown): void {
    const handler = this[`on${name}`]
    if (handler !== null) this.#call(handler, event)
    const more = this.#listeners?.get(name)
    if (more !== undefined) for (const listener of more) this.#call(listener, event)
  }

  /**
   * Calls a script's handler. Its exception is printed as an iteration error (as k6 prints
   * an uncaught one) and goes no further: thrown from a socket callback it would kill the
   * worker thread and every VU on it.
   */
  #call(listener: Listener, event: unknown): void {
    try {
      listener(event)
    } catch (error: unknown) {
      printScriptError(error, this.#vu.id)
    }
  }
}

const READY_STATES = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const
for (const [name, value] of Object.entries(READY_STATES)) {
  Object.defineProperty(VuWebSocket.prototype, name, { value, enumerable: true })
}

/**
 * The wire client behind a VU resource that is a k6 WebSocket, else undefined: for
 * load/perf/dispatch-cost.ts, which hands frames straight to the VUs' clients.
 */
export function wireSocketOf(resource: VuResource): WireWebSocket | undefined {
  return VuWebSocket.wireOf(resource)
}

/** Builds the `k6/websockets` module of one VU: a constructor that binds the VU. */
export function createWebSocketsModule(vu: VuContext): Record<string, unknown> {
  // A plain function used with `new` returns the object it builds; one closure per VU.
  const WebSocket = Object.assign(function (
    url: string,
    protocols?: string | string[] | null,
    params?: SocketParams,
  ) {
    return new VuWebSocket(vu, url, protocols, params)
  }, READY_STATES)
  const module: Record<string, unknown> = { WebSocket }
  module['default'] = module
  return module
}

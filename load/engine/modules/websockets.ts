/**
 * `k6/websockets`: k6's browser-like WebSocket over the `ws` package, with k6's built-in
 * metrics (`ws_connecting`, `ws_sessions`, `ws_msgs_received`, `ws_msgs_sent`,
 * `ws_session_duration`, `data_received`, `data_sent`).
 *
 * Per received message the work is: decode to a string, count it, reuse one event object,
 * call the handler. The `url` tag drops the query string so resume cursors do not create a
 * series per connection.
 */
import WebSocketClient from 'ws'
import type { SeriesBuffer } from '../metric-sink.ts'
import type { VuContext, VuResource } from '../vu-context.ts'

type Listener = (event: unknown) => void

interface MessageEventShape {
  type: 'message'
  data: string | ArrayBuffer
  timestamp: number
}

type SocketParams = { headers?: Record<string, string>; tags?: Record<string, string> } | null

/** One k6 WebSocket; shared by every VU of a worker, the VU passed in. */
class VuWebSocket implements VuResource {
  static readonly CONNECTING = 0
  static readonly OPEN = 1
  static readonly CLOSING = 2
  static readonly CLOSED = 3
  readonly CONNECTING = 0
  readonly OPEN = 1
  readonly CLOSING = 2
  readonly CLOSED = 3
  readonly url: string
  binaryType: 'blob' | 'arraybuffer' = 'arraybuffer'
  onopen: Listener | null = null
  onmessage: Listener | null = null
  onclose: Listener | null = null
  onerror: Listener | null = null
  onping: Listener | null = null
  onpong: Listener | null = null
  private readonly socket: WebSocketClient
  private listeners: Map<string, Listener[]> | undefined
  private readonly receivedSeries: SeriesBuffer
  private readonly bytesInSeries: SeriesBuffer
  private readonly messageEvent: MessageEventShape = { type: 'message', data: '', timestamp: 0 }
  private readonly tags: Record<string, string>
  private readonly startedAt = Date.now()
  private openedAt = 0

  private readonly vu: VuContext

  constructor(
    vu: VuContext,
    url: string,
    protocols?: string | string[] | null,
    params?: SocketParams,
  ) {
    this.vu = vu
    const connecting = vu.metric('ws_connecting', 'trend', 'time')
    const sessions = vu.metric('ws_sessions', 'counter')
    const received = vu.metric('ws_msgs_received', 'counter')
    const sessionDuration = vu.metric('ws_session_duration', 'trend', 'time')
    const dataReceived = vu.metric('data_received', 'counter', 'data')
    this.url = url
    const bare = url.split('?')[0] ?? url
    this.tags = { url: bare, ...params?.tags }
    this.receivedSeries = vu.series(received, this.tags)
    this.bytesInSeries = vu.series(dataReceived, this.tags)
    this.socket = new WebSocketClient(url, protocols ?? undefined, {
      headers: params?.headers,
      perMessageDeflate: false,
      // The feed is ASCII JSON from a trusted local server; validation would cost per byte.
      skipUTF8Validation: true,
    })
    vu.resources.add(this)
    this.socket.on('open', () => {
      this.openedAt = Date.now()
      vu.series(connecting, this.tags).add(this.openedAt - this.startedAt)
      vu.series(sessions, this.tags).add(1)
      this.emit('open', { type: 'open', timestamp: this.openedAt })
    })
    this.socket.on('message', (raw: Buffer, isBinary: boolean) => {
      this.receivedSeries.add(1)
      this.bytesInSeries.add(raw.length)
      const event = this.messageEvent
      event.data = isBinary ? new Uint8Array(raw).buffer : raw.toString()
      event.timestamp = Date.now()
      const handler = this.onmessage
      if (handler !== null) handler(event)
      const more = this.listeners?.get('message')
      if (more !== undefined) for (const listener of more) listener(event)
    })
    this.socket.on('ping', () => {
      this.emit('ping', { type: 'ping', timestamp: Date.now() })
    })
    this.socket.on('pong', () => {
      this.emit('pong', { type: 'pong', timestamp: Date.now() })
    })
    this.socket.on('error', (error: Error) => {
      this.emit('error', { type: 'error', error: error.message, timestamp: Date.now() })
    })
    this.socket.on('close', () => {
      vu.resources.delete(this)
      if (this.openedAt > 0) vu.series(sessionDuration, this.tags).add(Date.now() - this.openedAt)
      this.emit('close', { type: 'close', timestamp: Date.now() })
    })
  }

  get readyState(): number {
    return this.socket.readyState
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount
  }

  send(data: string | ArrayBuffer | ArrayBufferView): void {
    const payload =
      typeof data === 'string' ? data : ArrayBuffer.isView(data) ? data : new Uint8Array(data)
    this.socket.send(payload)
    const vu = this.vu
    vu.series(vu.metric('ws_msgs_sent', 'counter'), this.tags).add(1)
    vu.series(vu.metric('data_sent', 'counter', 'data'), this.tags).add(
      typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength,
    )
  }

  ping(): void {
    this.socket.ping()
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code ?? 1000, reason)
  }

  addEventListener(name: string, listener: Listener): void {
    this.listeners ??= new Map()
    const list = this.listeners.get(name) ?? []
    list.push(listener)
    this.listeners.set(name, list)
  }

  /** Hard stop: drop the connection without a closing handshake. */
  release(): void {
    this.socket.terminate()
  }

  private emit(name: 'open' | 'close' | 'error' | 'ping' | 'pong', event: unknown): void {
    const handler = this[`on${name}`]
    if (handler !== null) handler(event)
    const more = this.listeners?.get(name)
    if (more !== undefined) for (const listener of more) listener(event)
  }
}

const READY_STATES = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const

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

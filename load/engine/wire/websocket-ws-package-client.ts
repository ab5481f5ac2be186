/**
 * The `wss://` path of the k6 WebSocket: the `ws` package behind the same
 * {@link WireWebSocket} interface and {@link WebSocketEvents} as the lean client. TLS
 * sockets do not support Node's `onread` option, so the lean client cannot read them into
 * a static buffer; TLS costs far more per byte than the `ws` package does anyway.
 *
 * Byte counts here are payload bytes (the `ws` package does not expose the wire's), so
 * `data_received`/`data_sent` read slightly lower than over `ws://`.
 */
import WebSocket from 'ws'
import type { WebSocketEvents, WireWebSocket } from './websocket-client.ts'

/** A `ws` package socket reporting {@link WebSocketEvents}. */
export class WsPackageWebSocket implements WireWebSocket {
  readonly #socket: WebSocket
  readonly #events: WebSocketEvents

  /** Connects at once; events arrive on `events`. */
  constructor(
    url: string,
    events: WebSocketEvents,
    options: {
      protocols?: readonly string[]
      headers?: Readonly<Record<string, string>> | undefined
    } = {},
  ) {
    this.#events = events
    this.#socket = new WebSocket(url, [...(options.protocols ?? [])], {
      headers: options.headers,
      perMessageDeflate: false,
    })
    const socket = this.#socket
    socket.on('open', () => {
      events.onOpen(socket.protocol)
    })
    socket.on('message', (raw: Buffer, isBinary: boolean) => {
      events.onBytesReceived(raw.length)
      if (isBinary) {
        events.onBinary(
          raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length) as ArrayBuffer,
        )
      } else {
        events.onText(raw.toString())
      }
    })
    socket.on('ping', () => {
      events.onPing()
    })
    socket.on('pong', () => {
      events.onPong()
    })
    socket.on('error', (error: Error) => {
      events.onError(error.message)
    })
    socket.on('close', (code: number, reason: Buffer) => {
      events.onClose(code, reason.toString(), code !== 1006)
    })
  }

  get readyState(): number {
    return this.#socket.readyState
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount
  }

  send(data: string | Uint8Array): void {
    this.#socket.send(data)
    this.#events.onBytesSent(typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength)
  }

  ping(): void {
    this.#socket.ping()
  }

  close(code?: number, reason?: string): void {
    this.#socket.close(code ?? 1000, reason)
  }

  terminate(): void {
    this.#socket.terminate()
  }
}

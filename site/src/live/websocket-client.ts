/**
 * The live page's WebSocket client: `GET /ws?epoch=&since=`, Start/Stop as `control` messages on
 * the socket (seed 000's buttons), reconnect and resume handled by {@link FeedClient}. Text
 * messages are JSON; binary ones (a `--encoding binary` server) are decoded by `feed-decoding.ts`.
 */
import { FeedClient } from './feed-client.ts'
import { decodeSocketMessage } from './feed-decoding.ts'
import type { ResumeCursor } from './feed-tracker.ts'

/**
 * Bytes a server message took on the wire: its payload (ASCII JSON, so one byte a character, or
 * the binary frame) plus the unmasked frame header RFC 6455 §5.2 gives a server frame.
 */
const wireBytes = (data: unknown): number => {
  const payload =
    typeof data === 'string' ? data.length : data instanceof ArrayBuffer ? data.byteLength : 0
  return payload + (payload < 126 ? 2 : payload < 65_536 ? 4 : 10)
}

/** WebSocket feed client. */
export class WebSocketFeedClient extends FeedClient {
  readonly protocol = 'websocket'
  #socket: WebSocket | undefined

  protected open(cursor: ResumeCursor | undefined): void {
    const url = new URL(this.path, this.baseUrl)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    if (cursor) {
      url.searchParams.set('epoch', cursor.epoch)
      url.searchParams.set('since', String(cursor.since))
    }
    const socket = new WebSocket(url)
    this.tracker.countRequest()
    // Binary messages as ArrayBuffer (the default is Blob, which would need an async read).
    socket.binaryType = 'arraybuffer'
    this.#socket = socket
    socket.addEventListener('open', () => {
      this.opened()
    })
    socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      this.tracker.countBytes(wireBytes(event.data))
      const decoded = decodeSocketMessage(event.data)
      if (decoded) this.deliver(decoded.message, decoded.encoding)
    })
    socket.addEventListener('close', (event) => {
      // A socket this client already replaced or dropped reports nothing.
      if (this.#socket !== socket) return
      this.#socket = undefined
      this.lost(`closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`)
    })
  }

  protected drop(): void {
    const socket = this.#socket
    this.#socket = undefined
    socket?.close()
  }

  protected isConnected(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN
  }

  protected override killOnServer(): boolean {
    if (!this.isConnected()) return false
    // The server destroys the TCP connection: the close event reports 1006, as a real loss would.
    this.#socket?.send(JSON.stringify({ type: 'control', action: 'drop' }))
    return true
  }

  protected pause(): void {
    this.#socket?.send(JSON.stringify({ type: 'control', action: 'stop' }))
  }

  protected resume(): void {
    this.#socket?.send(JSON.stringify({ type: 'control', action: 'start' }))
  }
}

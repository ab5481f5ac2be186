/** A lab peer carried by a `ws` WebSocket. */
import { randomUUID } from 'node:crypto'
import type { WebSocket } from 'ws'
import type { LabPeer } from './lab-peer.ts'
import type { PreparedMessage } from './prepared-message.ts'
import { TokenBucket } from '../http/rate-limit.ts'

/** WebSocket close code for a client that does not keep up (as the reference servers). */
export const CLOSE_SLOW = 4008

/** A lab client on a WebSocket. */
export class WebSocketPeer implements LabPeer {
  readonly id = randomUUID()
  readonly transport = 'websocket'
  readonly bucket: TokenBucket
  readonly socket: WebSocket
  readonly #slowClientBytes: number
  /** Set by each pong; the heartbeat terminates a peer that has not answered the last ping. */
  alive = true

  constructor(socket: WebSocket, ratePerS: number, burst: number, slowClientBytes: number) {
    this.socket = socket
    this.bucket = new TokenBucket(ratePerS, burst)
    this.#slowClientBytes = slowClientBytes
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN
  }

  send(message: PreparedMessage): void {
    this.#write(message.webSocketBytes, false)
  }

  sendBinary(bytes: Buffer): void {
    this.#write(bytes, true)
  }

  #write(bytes: Buffer, binary: boolean): void {
    if (!this.open) return
    if (this.socket.bufferedAmount > this.#slowClientBytes) {
      this.socket.close(CLOSE_SLOW, 'slow')
      return
    }
    this.socket.send(bytes, { binary })
  }
}

/** A lab peer carried by a Server-Sent Events stream; its upstream is POSTs. */
import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { LabPeer } from './lab-peer.ts'
import type { PreparedMessage } from './prepared-message.ts'
import { TokenBucket } from '../http/rate-limit.ts'

const KEEPALIVE = Buffer.from(': keepalive\n\n')

/** The headers of a lab stream; a `HEAD` of the stream gets them too, with no body. */
export const LAB_STREAM_HEADERS = Object.freeze({
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  // nginx buffers proxied responses unless told not to; an SSE stream must not wait.
  'X-Accel-Buffering': 'no',
})

/** A lab client on an SSE stream. */
export class SsePeer implements LabPeer {
  readonly id = randomUUID()
  readonly transport = 'sse'
  readonly bucket: TokenBucket
  readonly response: ServerResponse
  readonly #slowClientBytes: number

  /** Sends the stream's headers at once, so the client sees it open before any event. */
  constructor(response: ServerResponse, ratePerS: number, burst: number, slowClientBytes: number) {
    this.response = response
    this.bucket = new TokenBucket(ratePerS, burst)
    this.#slowClientBytes = slowClientBytes
    response.writeHead(200, LAB_STREAM_HEADERS)
    response.flushHeaders()
  }

  get open(): boolean {
    return !this.response.writableEnded && !this.response.destroyed
  }

  send(message: PreparedMessage): void {
    this.#write(message.sseBytes)
  }

  sendBinary(): void {
    // SSE carries text only; no lab sends binary to an SSE peer.
  }

  /** Writes an SSE comment so that idle proxies keep the stream open. */
  keepalive(): void {
    this.#write(KEEPALIVE)
  }

  /** Ends the stream. */
  end(): void {
    if (this.open) this.response.end()
  }

  #write(bytes: Buffer): void {
    if (!this.open) return
    if (this.response.writableLength > this.#slowClientBytes) {
      // A stalled reader never drains an orderly end: cut the stream to free what it holds.
      this.response.destroy()
      return
    }
    this.response.write(bytes)
  }
}

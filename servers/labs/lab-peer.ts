/**
 * One lab client, whatever carries it: a WebSocket, or an SSE stream whose upstream is
 * POSTs. Labs talk only to this interface, so each lab's protocol is the same on both.
 */
import type { PreparedMessage } from './prepared-message.ts'
import type { TokenBucket } from '../http/rate-limit.ts'

/** The transport that carries a peer. */
export type LabTransport = 'websocket' | 'sse'

/** One connected lab client. */
export interface LabPeer {
  /** Session id, announced in the `hello` message; SSE clients send it with each POST. */
  readonly id: string
  /** The transport that carries this peer. */
  readonly transport: LabTransport
  /** This peer's message budget (per connection, whichever lab). */
  readonly bucket: TokenBucket
  /** True until the connection closes. */
  readonly open: boolean
  /** Writes one prepared message; a client whose unsent bytes pass the bound is dropped. */
  send(message: PreparedMessage): void
  /** Writes a binary message (WebSocket only; SSE peers ignore it). */
  sendBinary(bytes: Buffer): void
}

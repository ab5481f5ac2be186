/**
 * The registry of transports by protocol name: the only place that knows which class
 * serves which protocol (what each protocol is, its path included: `protocols.ts`).
 */
import type { Protocol } from './protocols.ts'
import { LongPollTransport } from './long-poll.ts'
import { ShortPollTransport } from './short-poll.ts'
import { SseTransport } from './sse.ts'
import type { Transport } from './transport.ts'
import { WebSocketTransport } from './websocket.ts'

/** A factory of a fresh transport, per protocol. */
export const TRANSPORTS: Readonly<Record<Protocol, () => Transport>> = Object.freeze({
  websocket: () => new WebSocketTransport(),
  sse: () => new SseTransport(),
  'long-poll': () => new LongPollTransport(),
  'short-poll': () => new ShortPollTransport(),
})

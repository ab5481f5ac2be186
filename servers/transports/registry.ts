/**
 * The registry of transports by protocol name: the only place that knows which class
 * serves which protocol.
 */
import type { Protocol } from '../feed/messages.ts'
import { LONG_POLL_PATH, LongPollTransport } from './long-poll.ts'
import { SHORT_POLL_PATH, ShortPollTransport } from './short-poll.ts'
import { SSE_PATH, SseTransport } from './sse.ts'
import type { Transport } from './transport.ts'
import { WEBSOCKET_PATH, WebSocketTransport } from './websocket.ts'

/** A factory of a fresh transport, per protocol. */
export const TRANSPORTS: Readonly<Record<Protocol, () => Transport>> = Object.freeze({
  websocket: () => new WebSocketTransport(),
  sse: () => new SseTransport(),
  'long-poll': () => new LongPollTransport(),
  'short-poll': () => new ShortPollTransport(),
})

/** The path each protocol is served on, for banners and docs. */
export const TRANSPORT_PATHS: Readonly<Record<Protocol, string>> = Object.freeze({
  websocket: WEBSOCKET_PATH,
  sse: SSE_PATH,
  'long-poll': LONG_POLL_PATH,
  'short-poll': SHORT_POLL_PATH,
})

/**
 * Protocol name → live client: the page builds panels from this table, never from a `switch`.
 */
import { PROTOCOL_TABLE, type Protocol } from '../../../servers/transports/protocols.ts'
import type { ClientEvents, FeedClient } from './feed-client.ts'
import { WebSocketFeedClient } from './websocket-client.ts'
import { SseFeedClient } from './sse-client.ts'
import { LongPollFeedClient, ShortPollFeedClient } from './poll-client.ts'

/** How to build one protocol's client. */
export interface LiveTransport {
  /** Endpoint path on the servers. */
  path: string
  create: (baseUrl: string, path: string, events: ClientEvents) => FeedClient
}

/** The four transports in fallback order: WebSocket → SSE → long poll → short poll. */
export const LIVE_TRANSPORTS: Readonly<Record<Protocol, LiveTransport>> = Object.freeze({
  websocket: {
    path: PROTOCOL_TABLE.websocket.path,
    create: (base, path, events) => new WebSocketFeedClient(base, path, events),
  },
  sse: {
    path: PROTOCOL_TABLE.sse.path,
    create: (base, path, events) => new SseFeedClient(base, path, events),
  },
  'long-poll': {
    path: PROTOCOL_TABLE['long-poll'].path,
    create: (base, path, events) => new LongPollFeedClient(base, path, events),
  },
  'short-poll': {
    path: PROTOCOL_TABLE['short-poll'].path,
    create: (base, path, events) => new ShortPollFeedClient(base, path, events),
  },
})

/**
 * Protocol name → live client: the page builds panels from this table, never from a `switch`.
 */
import type { Protocol } from '../../../servers/feed/messages.ts'
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
    path: '/ws',
    create: (base, path, events) => new WebSocketFeedClient(base, path, events),
  },
  sse: { path: '/sse', create: (base, path, events) => new SseFeedClient(base, path, events) },
  'long-poll': {
    path: '/poll/long',
    create: (base, path, events) => new LongPollFeedClient(base, path, events),
  },
  'short-poll': {
    path: '/poll/short',
    create: (base, path, events) => new ShortPollFeedClient(base, path, events),
  },
})

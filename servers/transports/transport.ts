/**
 * The one small interface every protocol implements (engine.io's `Transport`, centrifuge's
 * `handler_*.go`): attach to the shared HTTP server and feed, broadcast a tick, close.
 * Transports do framing and delivery only; encoding lives in `feed/`.
 */
import type { Server } from 'node:http'
import type { Router } from 'express'
import type { FeedEncoding } from '../feed/binary-layout.ts'
import type { Feed, FeedTick } from '../feed/feed.ts'
import type { Protocol } from './protocols.ts'
import type { AccessGuard } from '../http/access-guard.ts'
import type { HandlerGuard } from '../http/handler-guard.ts'
import type { PlainRoutes } from '../http/plain-routes.ts'
import type { ServerMetrics } from '../http/metrics.ts'
import type { UpgradeRouter } from '../http/upgrade-router.ts'
import type { ControlSessions } from './control-sessions.ts'

/** Limits and switches the transports read. */
export interface TransportOptions {
  /** Unsent bytes after which a client is closed as a slow consumer. */
  maxBufferedBytes: number
  /** Interval of WebSocket pings and SSE comment heartbeats, ms. */
  heartbeatMs: number
  /** Largest WebSocket message accepted, bytes. */
  maxPayload: number
  /** Enable permessage-deflate on WebSocket. */
  deflate: boolean
  /** Frames and snapshots as JSON text or in the binary layout (WebSocket, SSE; polls stay JSON). */
  encoding: FeedEncoding
  /** Long-poll `wait` when the query has none, seconds. */
  longPollWaitS: number
  /** A poll session not seen for this long is forgotten, ms. */
  pollSessionIdleMs: number
  /** Live poll sessions per client address and poll transport; 0 = unlimited. */
  maxPollSessionsPerIp: number
  /** Messages a WebSocket client may send per second; 0 = unlimited. */
  maxMessagesPerS: number
}

/**
 * Why every client is being closed: `shutdown` (SIGINT; WebSocket 1001) or `restart`
 * (SIGTERM; WebSocket 1012, SSE told to retry): clients should reconnect and resume.
 */
export type CloseReason = 'shutdown' | 'restart'

/** What a transport attaches to. */
export interface TransportContext {
  /** The shared HTTP server. */
  server: Server
  /** Where WebSocket transports claim their upgrade path. */
  upgrades: UpgradeRouter
  /** The express router the HTTP transports add their routes to. */
  router: Router
  /** GET routes served before express, for per-request hot paths (the polls). */
  plainRoutes: PlainRoutes
  feed: Feed
  metrics: ServerMetrics
  /** Sessions that `POST /api/control` and `POST /api/ping` address. */
  sessions: ControlSessions
  /** Origin, token and per-address limits: the WebSocket transport asks it at the handshake. */
  access: AccessGuard
  /** Wraps every socket, message and promise callback that runs on peer input. */
  guard: HandlerGuard
  options: TransportOptions
}

/** One protocol. */
export interface Transport {
  /** Protocol name, as in URLs and metric labels. */
  readonly name: Protocol
  /** Open clients right now. */
  readonly clientCount: number
  /** Install routes or upgrade handling; called once. */
  attach(context: TransportContext): void
  /** Deliver one tick to every client: the same prebuilt bytes, one write each. */
  broadcast(tick: FeedTick): void
  /** Close every client for `reason` (WebSocket 1001 or 1012, SSE end, pending polls answered). */
  close(reason: CloseReason): Promise<void>
}

/**
 * The surface of a feed that the transports and the app use, whatever carries the frames:
 * the in-memory {@link Feed} (one process, the default bus) satisfies it unchanged, and so
 * does the {@link StreamFeed} that reads the frames of a Redis Stream.
 */
import type { Feed } from '../feed/feed.ts'

/** What a server process reads the feed through. */
export type FeedSource = Pick<
  Feed,
  'epoch' | 'seq' | 'history' | 'onTick' | 'catchUp' | 'snapshot' | 'events' | 'start' | 'stop'
>

/** Health of the bus as `/healthz` and `realtime_bus_up` report it. */
export interface BusStatus {
  /** `memory` (one process) or `redis`. */
  readonly kind: 'memory' | 'redis'
  /** Whether frames currently arrive from the bus. */
  readonly up: boolean
  /** Why the bus is down; absent when up. */
  readonly reason?: string
  /**
   * Milliseconds since the newest frame arrived (Redis bus; absent before the first). Up
   * with a growing age means the link is fine but no ticker publishes.
   */
  readonly lastFrameAgeMs?: number
  /**
   * Stream entries skipped because they are not a frame the ticker wrote (Redis bus; absent
   * until the first), and the last one's id and reason. The feed steps over them and goes on.
   */
  readonly rejectedEntries?: number
  readonly lastRejected?: string
}

/** Bus settings and their defaults. */
export const BUS_DEFAULTS = Object.freeze({
  /** Prefix of every Redis key: `<prefix>:frames` (the stream), `<prefix>:epoch`. Default `realtime`. */
  prefix: 'realtime',
  /** Longest XREAD BLOCK, ms; bounds how long `stop()` waits. Default 1000. */
  blockMs: 1000,
  /** Delay between reconnect attempts, ms (capped back-off). Default 1000 at most. */
  reconnectMaxMs: 1000,
})

/** Redis key names under one prefix. */
export function busKeys(prefix: string): { stream: string; epoch: string } {
  return { stream: `${prefix}:frames`, epoch: `${prefix}:epoch` }
}

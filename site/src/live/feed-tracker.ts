/**
 * What a live panel knows about its stream, whatever the protocol: the resume cursor, the latest
 * sprites, and the counters the panel shows (latency, frames/s, gaps, resets, reconnects).
 */
import { percentile } from '../../../load/kit/percentile.ts'
import type { ServerMessage, Sprite } from '../../../servers/feed/messages.ts'

/** Where to resume from: the epoch and the last seq received. */
export interface ResumeCursor {
  epoch: string
  since: number
}

/** The window the rolling figures (percentiles, rates) cover, ms. */
export const WINDOW_MS = 10_000

/** The counters a panel shows. */
export interface FeedCounters {
  /**
   * Median delivery latency over the last {@link WINDOW_MS}, ms: receive time − each frame's `t`
   * (its production time), every frame of a batch counted, replays after a reconnect or a Start
   * left out (as the bench does). Null with no frame in the window.
   */
  latencyP50Ms: number | null
  /** 95th percentile of the same samples, ms. */
  latencyP95Ms: number | null
  /** Frames received in the last second. */
  framesPerSecond: number
  /** HTTP requests (polls, or a stream's opening request) per second over the window. */
  requestsPerSecond: number
  /** Bytes received per second over the window: headers and framing included. */
  bytesPerSecond: number
  /** Age of the newest frame received (the one on screen), ms; null before the first. */
  behindMs: number | null
  /** Frames received in total. */
  frames: number
  /** Frames found missing: seq jumps not announced by a `reset`. */
  gaps: number
  resets: number
  reconnects: number
  /** Last seq received. */
  seq: number | null
}

/** The browser's wall clock on the same scale as the server's `t`. */
export const nowMs = (): number => performance.timeOrigin + performance.now()

/** Drops the entries of `list` (oldest first) stamped before `from`. */
const trimBefore = <T>(list: T[], stampOf: (item: T) => number, from: number): void => {
  let drop = 0
  while (drop < list.length && stampOf(list[drop] as T) < from) drop++
  if (drop > 0) list.splice(0, drop)
}

/** Tracks one stream's order, gaps and latency, and holds its latest sprites. */
export class FeedTracker {
  #epoch: string | null = null
  #seq: number | null = null
  #resetAnnounced = false
  #arrivals: number[] = []
  /** Latency samples of the window: [receive time, latency ms]. */
  #samples: [number, number][] = []
  #requests: number[] = []
  /** [receive time, bytes]. */
  #bytes: [number, number][] = []
  /** When the first request or byte was counted: rates are per second of activity, up to the window. */
  #activeSince: number | undefined
  #newestT: number | null = null
  /** Frames produced before this (server time) are replays: no latency sample. */
  #liveFrom = Number.NEGATIVE_INFINITY
  #frames = 0
  #gaps = 0
  #resets = 0
  #reconnects = 0
  /** The sprites of the latest snapshot or frame. */
  sprites: Sprite[] = []

  /** The cursor to resume from, or undefined before the first snapshot. */
  get cursor(): ResumeCursor | undefined {
    return this.#epoch === null || this.#seq === null
      ? undefined
      : { epoch: this.#epoch, since: this.#seq }
  }

  /**
   * From now on, frames produced before `at` are replays (what a reconnect or a Start catches up
   * on): they keep order and gap counting but give no latency sample, or the panel would report
   * the outage instead of delivery.
   */
  replaysBefore(at: number = nowMs()): void {
    this.#liveFrom = at
  }

  /** Counts one HTTP request (a poll, or the request that opens a stream). */
  countRequest(at: number = nowMs()): void {
    this.#activeSince ??= at
    this.#requests.push(at)
  }

  /** Counts bytes received, headers and framing included. */
  countBytes(bytes: number, at: number = nowMs()): void {
    this.#activeSince ??= at
    this.#bytes.push([at, bytes])
  }

  /** Counts one reconnect (a connection re-opened after it was lost or killed). */
  countReconnect(): void {
    this.#reconnects++
  }

  /** Applies one server message. */
  receive(message: ServerMessage, receivedAt: number = nowMs()): void {
    switch (message.type) {
      case 'reset':
        // The server says the cursor could not be served: the snapshot that follows is expected to jump.
        this.#resetAnnounced = true
        this.#resets++
        return
      case 'snapshot':
        if (
          this.#seq !== null &&
          !this.#resetAnnounced &&
          message.epoch === this.#epoch &&
          message.seq > this.#seq + 1
        ) {
          this.#gaps += message.seq - this.#seq - 1
        }
        this.#resetAnnounced = false
        this.#epoch = message.epoch
        this.#seq = message.seq
        this.sprites = message.sprites
        return
      case 'frame':
        if (this.#seq !== null && message.seq <= this.#seq && message.epoch === this.#epoch) return
        if (this.#seq !== null && message.epoch === this.#epoch && message.seq > this.#seq + 1) {
          this.#gaps += message.seq - this.#seq - 1
        }
        this.#epoch = message.epoch
        this.#seq = message.seq
        this.sprites = message.sprites
        this.#frames++
        // Older or repeated frames returned above: this one is the newest.
        this.#newestT = message.t
        if (message.t >= this.#liveFrom) this.#samples.push([receivedAt, receivedAt - message.t])
        this.#arrivals.push(receivedAt)
        return
      case 'pong':
      case 'error':
        return
    }
  }

  /** The counters as of `at`. */
  counters(at: number = nowMs()): FeedCounters {
    // Keep only the last second of arrivals and the window of the rest: bounded in size.
    trimBefore(this.#arrivals, (stamp) => stamp, at - 1000)
    trimBefore(this.#samples, ([stamp]) => stamp, at - WINDOW_MS)
    trimBefore(this.#requests, (stamp) => stamp, at - WINDOW_MS)
    trimBefore(this.#bytes, ([stamp]) => stamp, at - WINDOW_MS)
    const latencies = this.#samples.map(([, latency]) => latency).sort((a, b) => a - b)
    const seconds =
      this.#activeSince === undefined
        ? 0
        : Math.max(1, Math.min(WINDOW_MS, at - this.#activeSince)) / 1000
    const rate = (count: number): number => (seconds === 0 ? 0 : count / seconds)
    return {
      latencyP50Ms: latencies.length === 0 ? null : percentile(latencies, 0.5),
      latencyP95Ms: latencies.length === 0 ? null : percentile(latencies, 0.95),
      framesPerSecond: this.#arrivals.length,
      requestsPerSecond: rate(this.#requests.length),
      bytesPerSecond: rate(this.#bytes.reduce((sum, [, bytes]) => sum + bytes, 0)),
      behindMs: this.#newestT === null ? null : at - this.#newestT,
      frames: this.#frames,
      gaps: this.#gaps,
      resets: this.#resets,
      reconnects: this.#reconnects,
      seq: this.#seq,
    }
  }
}

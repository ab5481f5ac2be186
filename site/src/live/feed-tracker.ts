/**
 * What a live panel knows about its stream, whatever the protocol: the resume cursor, the latest
 * sprites, and the counters the panel shows (latency, frames/s, gaps, resets, reconnects).
 */
import type { ServerMessage, Sprite } from '../../../servers/feed/messages.ts'

/** Where to resume from: the epoch and the last seq received. */
export interface ResumeCursor {
  epoch: string
  since: number
}

/** The counters a panel shows. */
export interface FeedCounters {
  /** Delivery latency of the latest frame, ms (receive time − frame `t`). */
  latencyMs: number | null
  /** Frames received in the last second. */
  framesPerSecond: number
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

/** Tracks one stream's order, gaps and latency, and holds its latest sprites. */
export class FeedTracker {
  #epoch: string | null = null
  #seq: number | null = null
  #resetAnnounced = false
  #arrivals: number[] = []
  #latencyMs: number | null = null
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
        this.#latencyMs = receivedAt - message.t
        this.#arrivals.push(receivedAt)
        return
      case 'pong':
      case 'error':
        return
    }
  }

  /** The counters as of `at`. */
  counters(at: number = nowMs()): FeedCounters {
    // Keep only the last second of arrivals: enough for frames/s, bounded in size.
    while (this.#arrivals.length > 0 && (this.#arrivals[0] ?? at) < at - 1000)
      this.#arrivals.shift()
    return {
      latencyMs: this.#latencyMs,
      framesPerSecond: this.#arrivals.length,
      frames: this.#frames,
      gaps: this.#gaps,
      resets: this.#resets,
      reconnects: this.#reconnects,
      seq: this.#seq,
    }
  }
}

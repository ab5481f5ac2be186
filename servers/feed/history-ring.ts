/**
 * A bounded ring of serialized frames addressed by `{epoch, seq}`: it answers "replay
 * from this cursor" or "reset, and why" (centrifuge's recovery by stream position).
 * No I/O.
 */
import type { ResetReason } from './messages.ts'

/** A resume point: the last `seq` the client holds, in history `epoch`. */
export interface Cursor {
  epoch: string
  /** Last seq the client received; it wants `since + 1` onwards. */
  since: number
}

/** What a cursor resolves to. */
export type ResumeResult =
  | {
      kind: 'replay'
      /** Serialized frames `since + 1 … newest`, oldest first; empty when up to date. */
      frames: readonly string[]
    }
  | { kind: 'reset'; reason: ResetReason }

/** The bounded history of one epoch. */
export class HistoryRing {
  /** Names this history; a cursor from another epoch cannot be served. */
  readonly epoch: string
  /** Most frames kept. */
  readonly capacity: number
  readonly #slots: (string | undefined)[]
  #newest: number
  #size = 0

  /**
   * @param epoch - Name of the history.
   * @param capacity - Frames kept (default in the server options: 600).
   * @param startSeq - Seq of the newest frame before the first push (0 for a new feed).
   */
  constructor(epoch: string, capacity: number, startSeq = 0) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new TypeError(`HistoryRing: capacity must be a positive integer, got ${capacity}`)
    }
    this.epoch = epoch
    this.capacity = capacity
    this.#slots = new Array<string | undefined>(capacity)
    this.#newest = startSeq
  }

  /** Seq of the newest frame (the start seq when empty). */
  get newest(): number {
    return this.#newest
  }

  /** Seq of the oldest frame still held; `newest + 1` when empty. */
  get oldest(): number {
    return this.#newest - this.#size + 1
  }

  /** Frames held. */
  get size(): number {
    return this.#size
  }

  /** Append the frame `seq`, which must be `newest + 1`. */
  push(seq: number, frame: string): void {
    if (seq !== this.#newest + 1) {
      throw new RangeError(`HistoryRing.push: expected seq ${this.#newest + 1}, got ${seq}`)
    }
    this.#slots[seq % this.capacity] = frame
    this.#newest = seq
    if (this.#size < this.capacity) this.#size++
  }

  /** The frame `seq`, or undefined when it is not held. */
  get(seq: number): string | undefined {
    if (seq < this.oldest || seq > this.#newest) return undefined
    return this.#slots[seq % this.capacity]
  }

  /** Resolve a cursor: the frames after it, or why they cannot be served. */
  resume(cursor: Cursor): ResumeResult {
    if (cursor.epoch !== this.epoch) return { kind: 'reset', reason: 'unknown-epoch' }
    if (cursor.since > this.#newest) return { kind: 'reset', reason: 'ahead' }
    // The client needs since + 1; it must still be held (or the client is up to date).
    if (cursor.since + 1 < this.oldest) return { kind: 'reset', reason: 'expired' }
    const frames: string[] = []
    for (let seq = cursor.since + 1; seq <= this.#newest; seq++) {
      frames.push(this.#slots[seq % this.capacity] as string)
    }
    return { kind: 'replay', frames }
  }
}

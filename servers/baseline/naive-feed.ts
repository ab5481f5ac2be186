/**
 * The seeds' naive feed: no ticker and no history ring. The state at any moment is a pure
 * function of the wall clock, and every connection (or poll request) serializes it for
 * itself, the way seed 000's per-connection `setInterval` built `{x, y}` for one socket.
 *
 * `seq` is derived from the clock (`floor((now − start) / period)`) so that frames carry
 * the same `epoch`/`seq`/`t` fields as the reference feed and the same load scripts can
 * measure latency and gaps: a per-connection timer that drifts past a period skips a
 * `seq`, and the client counts it as lost.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type {
  FrameMessage,
  ResetMessage,
  ScoredEvent,
  SnapshotMessage,
  Sprite,
} from '../feed/messages.ts'

/** Defaults of the naive feed, as in seed 000 (100 ms interval, 5 sprites) and seed 004 (5 events). */
export const NAIVE_FEED_DEFAULTS = Object.freeze({
  /** Frames per second. */
  rateHz: 10,
  sprites: 5,
  events: 5,
  /** How far back a cursor may point before the server answers with a reset. */
  replayLimit: 600,
})

/** Options of {@link createNaiveFeed}. */
export interface NaiveFeedOptions {
  rateHz?: number
  sprites?: number
  events?: number
}

/** A clock-driven feed that serializes on demand, once per caller. */
export interface NaiveFeed {
  readonly epoch: string
  readonly periodMs: number
  /** The `seq` the clock is at now. */
  currentSeq(): number
  /** The wall-clock time (ms) at which `seq` began: the frame's `t`. */
  timeOf(seq: number): number
  /** Full state at `seq`, serialized. */
  snapshot(seq: number): string
  /** The tick `seq`, serialized. */
  frame(seq: number): string
  /** A reset telling the client its cursor cannot be served, serialized. */
  reset(seq: number, reason: ResetMessage['reason']): string
  /**
   * Messages that bring a client at cursor `(epoch, since)` up to `upTo`: the missed frames,
   * or a reset plus a snapshot when the cursor is foreign, too old or ahead. Each is
   * serialized for this caller alone.
   */
  catchUp(epoch: string | undefined, since: number | undefined, upTo: number): string[]
}

const BOX = 400
const EVENT_NAMES = ['Final', 'Semi A', 'Semi B', 'Quarter A', 'Quarter B', 'Group C', 'Group D']

// Reflects a position into [0, BOX] the way a bouncing sprite would after `travel` units.
function bounce(start: number, travel: number): number {
  const span = 2 * BOX
  const p = (((start + travel) % span) + span) % span
  return p <= BOX ? p : span - p
}

/** Creates a naive feed whose clock starts now. */
export function createNaiveFeed(options: NaiveFeedOptions = {}): NaiveFeed {
  const rateHz = options.rateHz ?? NAIVE_FEED_DEFAULTS.rateHz
  if (!(rateHz > 0)) throw new RangeError(`rateHz must be a positive number, got ${rateHz}`)
  const spriteCount = options.sprites ?? NAIVE_FEED_DEFAULTS.sprites
  const eventCount = options.events ?? NAIVE_FEED_DEFAULTS.events
  const periodMs = 1000 / rateHz
  const epoch = `naive-${randomBytes(4).toString('hex')}`
  const startMs = performance.timeOrigin + performance.now()

  const spritesAt = (seq: number): Sprite[] =>
    Array.from({ length: spriteCount }, (_, id) => {
      const vx = 3 + id
      const vy = 5 - (id % 3)
      return {
        id,
        x: bounce(40 + 70 * id, vx * seq),
        y: bounce(20 + 50 * id, vy * seq),
        vx,
        vy,
      }
    })
  // An event's score changes every (20 + 10·id) ticks: 2–7 s at 10 Hz, as in seed 004.
  const eventPeriod = (id: number): number => 20 + 10 * (id % 6)
  const eventAt = (id: number, seq: number): ScoredEvent => {
    const every = eventPeriod(id)
    const changes = Math.floor(seq / every)
    return {
      id: `EVENT#${String(id).padStart(2, '0')}`,
      name: EVENT_NAMES[id % EVENT_NAMES.length] ?? 'Event',
      score: changes * 3 + id,
      updatedSeq: changes * every,
    }
  }
  const timeOf = (seq: number): number => startMs + seq * periodMs
  const snapshot = (seq: number): string => {
    const message: SnapshotMessage = {
      type: 'snapshot',
      epoch,
      seq,
      t: timeOf(seq),
      sprites: spritesAt(seq),
      events: Array.from({ length: eventCount }, (_, id) => eventAt(id, seq)),
    }
    return JSON.stringify(message)
  }
  const frame = (seq: number): string => {
    const changed: ScoredEvent[] = []
    for (let id = 0; id < eventCount; id++) {
      if (seq % eventPeriod(id) === 0) changed.push(eventAt(id, seq))
    }
    const message: FrameMessage = {
      type: 'frame',
      epoch,
      seq,
      t: timeOf(seq),
      sprites: spritesAt(seq),
      events: changed,
    }
    return JSON.stringify(message)
  }
  const reset = (seq: number, reason: ResetMessage['reason']): string => {
    const message: ResetMessage = { type: 'reset', epoch, seq, reason }
    return JSON.stringify(message)
  }
  const catchUp = (
    cursorEpoch: string | undefined,
    since: number | undefined,
    upTo: number,
  ): string[] => {
    if (cursorEpoch === undefined || since === undefined) return [snapshot(upTo)]
    let reason: ResetMessage['reason'] | null = null
    if (cursorEpoch !== epoch) reason = 'unknown-epoch'
    else if (since > upTo) reason = 'ahead'
    else if (upTo - since > NAIVE_FEED_DEFAULTS.replayLimit) reason = 'expired'
    if (reason !== null) return [reset(upTo, reason), snapshot(upTo)]
    const out: string[] = []
    for (let seq = since + 1; seq <= upTo; seq++) out.push(frame(seq))
    return out
  }
  return {
    epoch,
    periodMs,
    currentSeq: () => Math.floor((performance.timeOrigin + performance.now() - startMs) / periodMs),
    timeOf,
    snapshot,
    frame,
    reset,
    catchUp,
  }
}

/**
 * The one feed of a deployment: a drift-free ticker drives the {@link Simulation},
 * serializes each frame once, appends it to the {@link HistoryRing} and hands the
 * same text and bytes to every listener (the transports). Knows no protocol.
 */
import { randomBytes } from 'node:crypto'
import { encodeFrame, encodeReset, encodeSnapshot, wallClock } from './codec.ts'
import { HistoryRing, type Cursor, type ResumeResult } from './history-ring.ts'
import type { ScoredEvent } from './messages.ts'
import { Simulation } from './simulation.ts'

/** Options of a {@link Feed}. */
export interface FeedOptions {
  /** Ticks per second. */
  rate: number
  /** Number of sprites. */
  sprites: number
  /** Number of scored events. */
  events: number
  /** Filler bytes added to every frame (`pad` field); 0 for none. */
  pad: number
  /** Frames kept for resume. */
  history: number
  /** PRNG seed: the same seed gives the same frames. */
  seed: number
  /** History name; a random one is made when omitted (a memory-only restart loses history). */
  epoch?: string
}

/** One tick, serialized once, shared by every transport. */
export interface FeedTick {
  readonly seq: number
  /** The `frame` message as JSON text. */
  readonly text: string
  /** The same text as UTF-8 bytes. */
  readonly bytes: Buffer
}

/**
 * What brings one client up to date. Message `i` carries seq `firstSeq + i`, except
 * when `reset` is true: then `messages` is `[reset, snapshot]`, both at `firstSeq`.
 */
export interface CatchUp {
  readonly messages: readonly string[]
  readonly firstSeq: number
  readonly reset: boolean
}

/** Receives every tick. */
export type TickListener = (tick: FeedTick) => void

// When the event loop was blocked for longer than this, skip the owed ticks instead of
// bursting them out: seq still increases by one per tick, the wall clock just re-anchors.
const MAX_CATCH_UP_MS = 1000

/** The ticking feed. */
export class Feed {
  /** Names the history. */
  readonly epoch: string
  /** Ticks per second. */
  readonly rate: number
  /** Bounded history of serialized frames. */
  readonly history: HistoryRing
  readonly #simulation: Simulation
  readonly #pad: string
  readonly #listeners: TickListener[] = []
  #timer: NodeJS.Timeout | undefined
  #anchor = 0
  #ticksSinceAnchor = 0
  #snapshotSeq = -1
  #snapshotText = ''

  /** @throws TypeError when an option is out of range. */
  constructor(options: FeedOptions) {
    if (!Number.isInteger(options.pad) || options.pad < 0 || options.pad > 1_048_576) {
      throw new TypeError(`Feed: pad must be an integer in [0, 1048576] bytes, got ${options.pad}`)
    }
    this.epoch = options.epoch ?? randomBytes(6).toString('base64url')
    this.rate = options.rate
    this.#simulation = new Simulation(options)
    this.history = new HistoryRing(this.epoch, options.history)
    this.#pad = 'x'.repeat(options.pad)
  }

  /** Seq of the newest frame (0 before the first tick). */
  get seq(): number {
    return this.#simulation.seq
  }

  /** Whether the ticker runs. */
  get running(): boolean {
    return this.#timer !== undefined
  }

  /** Subscribe to every tick; returns the unsubscribe function. */
  onTick(listener: TickListener): () => void {
    this.#listeners.push(listener)
    return () => {
      const index = this.#listeners.indexOf(listener)
      if (index !== -1) this.#listeners.splice(index, 1)
    }
  }

  /** Start ticking at `rate` Hz. */
  start(): void {
    if (this.#timer !== undefined) return
    this.#anchor = performance.now()
    this.#ticksSinceAnchor = 0
    this.#schedule()
  }

  /** Stop ticking. */
  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Produce one tick now (the ticker calls this; tests may too). */
  tick(): FeedTick {
    const step = this.#simulation.step()
    const text = encodeFrame(
      this.epoch,
      step.seq,
      wallClock(),
      step.sprites,
      step.changed,
      this.#pad,
    )
    this.history.push(step.seq, text)
    const tick: FeedTick = { seq: step.seq, text, bytes: Buffer.from(text) }
    for (const listener of this.#listeners) listener(tick)
    return tick
  }

  /** The full state as a `snapshot` message, serialized at most once per tick. */
  snapshot(): string {
    if (this.#snapshotSeq !== this.seq) {
      this.#snapshotText = encodeSnapshot(
        this.epoch,
        this.seq,
        wallClock(),
        this.#simulation.sprites(),
        this.#simulation.events(),
      )
      this.#snapshotSeq = this.seq
    }
    return this.#snapshotText
  }

  /** Every scored event, as of the newest tick. */
  events(): ScoredEvent[] {
    return this.#simulation.events()
  }

  /**
   * The messages that bring a client from `cursor` up to date: the missed frames, or a
   * `reset` then a `snapshot`; a snapshot alone when there is no cursor.
   */
  catchUp(cursor: Cursor | undefined): CatchUp {
    const seq = this.seq
    if (cursor === undefined) return { messages: [this.snapshot()], firstSeq: seq, reset: false }
    const result: ResumeResult = this.history.resume(cursor)
    if (result.kind === 'replay') {
      return { messages: result.frames, firstSeq: cursor.since + 1, reset: false }
    }
    return {
      messages: [encodeReset(this.epoch, seq, result.reason), this.snapshot()],
      firstSeq: seq,
      reset: true,
    }
  }

  #schedule(): void {
    const period = 1000 / this.rate
    const due = this.#anchor + (this.#ticksSinceAnchor + 1) * period
    const delay = due - performance.now()
    this.#timer = setTimeout(this.#onTimer, Math.max(0, delay))
  }

  readonly #onTimer = (): void => {
    const period = 1000 / this.rate
    this.#ticksSinceAnchor++
    const due = this.#anchor + this.#ticksSinceAnchor * period
    if (performance.now() - due > MAX_CATCH_UP_MS) {
      this.#anchor = performance.now()
      this.#ticksSinceAnchor = 0
    }
    this.tick()
    if (this.#timer !== undefined) this.#schedule()
  }
}

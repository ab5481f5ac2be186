/**
 * The fan-out side of the Redis bus: a {@link Feed} whose frames come from a Redis Stream
 * instead of a local ticker. It mirrors the stream's window in a local {@link HistoryRing}
 * (loaded with XREVRANGE at start, extended with XREAD BLOCK, backfilled with XRANGE after
 * an outage), keeps the sprites and events needed for `snapshot()` and `events()`, and
 * hands every new frame to its listeners (the transports).
 *
 * It extends `Feed` so that the transports and the app, typed against `Feed`, take it
 * unchanged; every member they use is overridden here.
 */
import { encodeSnapshot, wallClock } from '../feed/codec.ts'
import { Feed, type FeedTick, type TickListener } from '../feed/feed.ts'
import { HistoryRing } from '../feed/history-ring.ts'
import type { ScoredEvent, Sprite } from '../feed/messages.ts'
import { connectBusClient } from './bus-client.ts'
import { BUS_DEFAULTS, busKeys, type BusStatus } from './feed-source.ts'
import { claimEpoch, type BusClient } from './redis-epoch.ts'
import {
  isRejected,
  isUsable,
  parseEntries,
  parseReadReply,
  type RejectedEntry,
  type StreamEntry,
} from './stream-entries.ts'

/** Options of a {@link StreamFeed}. */
export interface StreamFeedOptions {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  url: string
  /** Frames kept locally for resume; the ticker trims the stream to about as many. */
  history: number
  /** Ticks per second of the ticker (informational, as `Feed.rate`). */
  rate: number
  /** Key prefix. Default {@link BUS_DEFAULTS}.prefix. */
  prefix?: string
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref()
  })

// Entries read per XRANGE / XREAD call: a whole default history in one page.
const PAGE = 1000

/** A feed read from a Redis Stream. Create it with {@link StreamFeed.connect}. */
export class StreamFeed extends Feed {
  readonly #client: BusClient
  readonly #keys: { stream: string; epoch: string }
  readonly #capacity: number
  readonly #listeners: TickListener[] = []
  #ring: HistoryRing
  #lastId = '0-0'
  #sprites: Sprite[] = []
  #events: ScoredEvent[] = []
  #snapshotKey = ''
  #snapshotText = ''
  #running = false
  #loop: Promise<void> | undefined
  #up = true
  #lastFrameAt: number | undefined
  #reason: string | undefined
  #rejected = 0
  #lastRejected: string | undefined
  #statusListeners: ((status: BusStatus) => void)[] = []

  private constructor(client: BusClient, epoch: string, options: StreamFeedOptions) {
    // The base feed's simulation is never started; its history is replaced below.
    super({ rate: options.rate, sprites: 0, events: 0, pad: 0, history: 1, seed: 0, epoch })
    this.#client = client
    this.#keys = busKeys(options.prefix ?? BUS_DEFAULTS.prefix)
    this.#capacity = options.history
    this.#ring = new HistoryRing(epoch, options.history)
    this.#publishHistory()
  }

  /**
   * Connect to Redis, read (or create) the epoch and load the stream's newest `history`
   * frames, so that a client may resume here with a cursor another instance gave it.
   * @throws Error when Redis cannot be reached at start.
   */
  static async connect(options: StreamFeedOptions): Promise<StreamFeed> {
    const client = await connectBusClient(options.url)
    const keys = busKeys(options.prefix ?? BUS_DEFAULTS.prefix)
    const epoch = await claimEpoch(client, keys.epoch)
    const feed = new StreamFeed(client, epoch, options)
    client.on('error', (error: unknown) => {
      feed.#setUp(false, `redis: ${error instanceof Error ? error.message : String(error)}`)
    })
    client.on('end', () => {
      feed.#setUp(false, 'redis: connection closed')
    })
    await feed.#loadTail()
    return feed
  }

  /** Seq of the newest frame received. */
  override get seq(): number {
    return this.#ring.newest
  }

  /** Whether the read loop runs. */
  override get running(): boolean {
    return this.#running
  }

  /** Health of the link to Redis. */
  status(): BusStatus {
    const age =
      this.#lastFrameAt === undefined
        ? {}
        : { lastFrameAgeMs: Math.round(performance.now() - this.#lastFrameAt) }
    const rejected =
      this.#lastRejected === undefined
        ? {}
        : { rejectedEntries: this.#rejected, lastRejected: this.#lastRejected }
    return this.#up
      ? { kind: 'redis', up: true, ...age, ...rejected }
      : {
          kind: 'redis',
          up: false,
          reason: this.#reason ?? 'redis unreachable',
          ...age,
          ...rejected,
        }
  }

  /** Called on every change of {@link StreamFeed.status}; returns the unsubscribe function. */
  onStatus(listener: (status: BusStatus) => void): () => void {
    this.#statusListeners.push(listener)
    return () => {
      this.#statusListeners = this.#statusListeners.filter((other) => other !== listener)
    }
  }

  override onTick(listener: TickListener): () => void {
    this.#listeners.push(listener)
    return () => {
      const index = this.#listeners.indexOf(listener)
      if (index !== -1) this.#listeners.splice(index, 1)
    }
  }

  /** Start reading the stream. */
  override start(): void {
    if (this.#running) return
    this.#running = true
    this.#loop = this.#readLoop()
  }

  /** Stop reading (the current XREAD ends within `blockMs`) and close the Redis connection. */
  override stop(): void {
    this.#running = false
  }

  /** Stop and wait for the read loop and the connection to end. */
  async close(): Promise<void> {
    this.#running = false
    await this.#loop
    if (this.#client.isOpen) this.#client.destroy()
  }

  /** @throws TypeError always: frames of a stream feed come from the ticker role. */
  override tick(): FeedTick {
    throw new TypeError('StreamFeed.tick: frames come from the Redis stream; run a ticker')
  }

  override snapshot(): string {
    const key = `${this.epoch}:${this.seq}`
    if (this.#snapshotKey !== key) {
      this.#snapshotText = encodeSnapshot(
        this.epoch,
        this.seq,
        wallClock(),
        this.#sprites,
        this.#events,
      )
      this.#snapshotKey = key
    }
    return this.#snapshotText
  }

  override events(): ScoredEvent[] {
    return this.#events.map((event) => ({ ...event }))
  }

  // catchUp is Feed's own: it reads `history`, `epoch`, `seq` and `snapshot()`, which this
  // feed keeps pointed at the stream's window (#publishHistory) or overrides.

  // `epoch` and `history` are read-only to users of a Feed; this feed follows the
  // stream's epoch, so it re-points them when the stream starts a new history.
  #publishHistory(): void {
    Object.assign(this, { epoch: this.#ring.epoch, history: this.#ring })
  }

  #setUp(up: boolean, reason?: string): void {
    if (this.#up === up && (up || this.#reason === reason)) return
    this.#up = up
    this.#reason = up ? undefined : reason
    const status = this.status()
    for (const listener of this.#statusListeners) listener(status)
  }

  async #loadTail(): Promise<void> {
    const reply = await this.#client.sendCommand([
      'XREVRANGE',
      this.#keys.stream,
      '+',
      '-',
      'COUNT',
      String(this.#capacity),
    ])
    const entries = parseEntries(reply).reverse()
    const first = entries.find(isUsable)
    if (first !== undefined) {
      this.#ring = new HistoryRing(this.#ring.epoch, this.#capacity, first.seq - 1)
      this.#publishHistory()
    }
    for (const entry of entries) this.#apply(entry, false)
  }

  // After an outage: every entry after the last one seen, in pages, before live reading.
  async #backfill(): Promise<void> {
    const epoch = await claimEpoch(this.#client, this.#keys.epoch)
    if (epoch !== this.epoch && this.#lastId !== '0-0') {
      // The stream was lost with its epoch; frames of the new history start afresh.
      this.#ring = new HistoryRing(epoch, this.#capacity, 0)
      this.#publishHistory()
    }
    for (let page = 0; page < 1_000_000 / PAGE && this.#running; page++) {
      const reply = await this.#client.sendCommand([
        'XRANGE',
        this.#keys.stream,
        `(${this.#lastId}`,
        '+',
        'COUNT',
        String(PAGE),
      ])
      const entries = parseEntries(reply)
      for (const entry of entries) this.#apply(entry, true)
      if (entries.length < PAGE) return
    }
  }

  async #readLoop(): Promise<void> {
    let needsBackfill = false
    while (this.#running) {
      if (!this.#client.isReady) {
        this.#setUp(false, this.#reason ?? 'redis: reconnecting')
        needsBackfill = true
        await sleep(100)
        continue
      }
      try {
        if (needsBackfill) {
          await this.#backfill()
          needsBackfill = false
        }
        const reply = await this.#client.sendCommand([
          'XREAD',
          'COUNT',
          String(PAGE),
          'BLOCK',
          String(BUS_DEFAULTS.blockMs),
          'STREAMS',
          this.#keys.stream,
          this.#lastId,
        ])
        this.#setUp(true)
        for (const entry of parseReadReply(reply)) this.#apply(entry, true)
      } catch (error) {
        this.#setUp(false, `redis: ${error instanceof Error ? error.message : String(error)}`)
        needsBackfill = true
        await sleep(200)
      }
    }
  }

  #apply(entry: StreamEntry | RejectedEntry, live: boolean): void {
    if (isRejected(entry)) {
      // Stepped over, never retried: reading from it again would stall the feed behind it.
      this.#lastId = entry.id
      this.#rejected += 1
      this.#lastRejected = `${entry.id}: ${entry.rejected}`
      return
    }
    if (entry.epoch !== this.#ring.epoch) {
      // A new history (the stream was lost): cursors of the old epoch now get a reset.
      this.#ring = new HistoryRing(entry.epoch, this.#capacity, entry.seq - 1)
      this.#publishHistory()
    } else if (entry.seq <= this.#ring.newest) {
      // Already held (a backfill overlapping the live read): exactly once.
      this.#lastId = entry.id
      return
    } else if (entry.seq > this.#ring.newest + 1) {
      // Frames trimmed from the stream while this instance was cut off: older cursors expire.
      this.#ring = new HistoryRing(entry.epoch, this.#capacity, entry.seq - 1)
      this.#publishHistory()
    }
    this.#ring.push(entry.seq, entry.frame)
    this.#lastId = entry.id
    this.#lastFrameAt = performance.now()
    this.#sprites = entry.sprites
    this.#events = entry.events
    if (!live) return
    const tick: FeedTick = { seq: entry.seq, text: entry.frame, bytes: Buffer.from(entry.frame) }
    for (const listener of this.#listeners) listener(tick)
  }
}

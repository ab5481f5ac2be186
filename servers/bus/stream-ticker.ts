/**
 * The ticker role of the Redis bus: runs the one {@link Feed} of the deployment and
 * appends every frame to a Redis Stream (`XADD <prefix>:frames MAXLEN ~ <history> * seq
 * <n> frame <json> events <json>`), where every fan-out instance reads it.
 *
 * `seq` is assigned at publish time and continues from the stream's newest entry, so a
 * restarted ticker carries the numbering on and the stream never has a hole: frames that
 * could not be published while Redis was away are queued (bounded by `history`) and
 * appended, in order, when it returns.
 */
import { Feed, type FeedOptions } from '../feed/feed.ts'
import type { ScoredEvent } from '../feed/messages.ts'
import { connectBusClient } from './bus-client.ts'
import { BUS_DEFAULTS, busKeys, type BusStatus } from './feed-source.ts'
import { claimEpoch, type BusClient } from './redis-epoch.ts'
import { isUsable, parseEntries } from './stream-entries.ts'

/** Options of a {@link StreamTicker}. */
export interface StreamTickerOptions extends Omit<FeedOptions, 'epoch'> {
  /** Redis URL, e.g. `redis://127.0.0.1:6379`. */
  url: string
  /** Key prefix. Default {@link BUS_DEFAULTS}.prefix. */
  prefix?: string
}

interface PendingFrame {
  /** The frame as the local feed encoded it (its epoch and seq are replaced at publish). */
  readonly frame: Record<string, unknown> & { seq: number; events: ScoredEvent[] }
  /** Every event after this frame. */
  readonly events: ScoredEvent[]
}

// Events carry the seq of their last change: renumber it from the local feed's numbering to
// the stream's.
const shiftSeq = (events: readonly ScoredEvent[], shift: number): ScoredEvent[] =>
  events.map((event) => ({ ...event, updatedSeq: Math.max(0, event.updatedSeq + shift) }))

/** Publishes the feed to a Redis Stream. Create it with {@link StreamTicker.connect}. */
export class StreamTicker {
  readonly #client: BusClient
  readonly #feed: Feed
  readonly #keys: { stream: string; epoch: string }
  readonly #history: number
  readonly #pending: PendingFrame[] = []
  #epoch = ''
  #seq = 0
  #synced = false
  #pumping = false
  #reason: string | undefined
  #unsubscribe: (() => void) | undefined

  private constructor(client: BusClient, options: StreamTickerOptions) {
    this.#client = client
    this.#feed = new Feed(options)
    this.#keys = busKeys(options.prefix ?? BUS_DEFAULTS.prefix)
    this.#history = options.history
  }

  /**
   * Connect, read (or create) the epoch and the newest seq of the stream, start ticking.
   * @throws Error when Redis cannot be reached at start.
   */
  static async connect(options: StreamTickerOptions): Promise<StreamTicker> {
    const client = await connectBusClient(options.url)
    const ticker = new StreamTicker(client, options)
    client.on('error', (error: unknown) => {
      ticker.#synced = false
      ticker.#reason = `redis: ${error instanceof Error ? error.message : String(error)}`
    })
    client.on('ready', () => {
      ticker.#pump()
    })
    await ticker.#sync()
    ticker.#unsubscribe = ticker.#feed.onTick((tick) => {
      const frame = JSON.parse(tick.text) as PendingFrame['frame']
      ticker.#pending.push({ frame, events: ticker.#feed.events() })
      // Bounded while Redis is away: the oldest unpublished frames are dropped (never
      // numbered, so the stream still has no hole).
      if (ticker.#pending.length > ticker.#history) ticker.#pending.shift()
      ticker.#pump()
    })
    ticker.#feed.start()
    return ticker
  }

  /** Epoch of the stream as last read from Redis. */
  get epoch(): string {
    return this.#epoch
  }

  /** Seq of the newest frame published. */
  get seq(): number {
    return this.#seq
  }

  /** Health of the link to Redis. */
  status(): BusStatus {
    return this.#client.isReady
      ? { kind: 'redis', up: true }
      : { kind: 'redis', up: false, reason: this.#reason ?? 'redis unreachable' }
  }

  /** Stop ticking and close the connection (unpublished frames are dropped). */
  close(): void {
    this.#feed.stop()
    this.#unsubscribe?.()
    if (this.#client.isOpen) this.#client.destroy()
  }

  // Epoch and newest seq, on start and after every reconnect. A seq never goes back: a
  // stream lost with Redis restarts under a new epoch but this ticker's numbering goes on.
  async #sync(): Promise<void> {
    this.#epoch = await claimEpoch(this.#client, this.#keys.epoch)
    // The newest entry a reader can use: one written by anything else is stepped over.
    const newest = parseEntries(
      await this.#client.sendCommand(['XREVRANGE', this.#keys.stream, '+', '-', 'COUNT', '100']),
    ).find(isUsable)
    this.#seq = Math.max(this.#seq, newest?.seq ?? 0)
    this.#synced = true
  }

  #pump(): void {
    if (this.#pumping) return
    this.#pumping = true
    void (async () => {
      try {
        if (!this.#synced) await this.#sync()
        while (this.#pending.length > 0 && this.#client.isReady) {
          const next = this.#pending[0] as PendingFrame
          const seq = this.#seq + 1
          // Key order of the frame is part of the wire contract; assigning existing keys keeps it.
          const shift = seq - next.frame.seq
          const frame = JSON.stringify({
            ...next.frame,
            epoch: this.#epoch,
            seq,
            events: shiftSeq(next.frame.events, shift),
          })
          await this.#client.sendCommand([
            'XADD',
            this.#keys.stream,
            'MAXLEN',
            '~',
            String(this.#history),
            '*',
            'seq',
            String(seq),
            'frame',
            frame,
            'events',
            JSON.stringify(shiftSeq(next.events, shift)),
          ])
          this.#seq = seq
          this.#pending.shift()
        }
      } catch (error) {
        this.#synced = false
        this.#reason = `redis: ${error instanceof Error ? error.message : String(error)}`
      } finally {
        this.#pumping = false
      }
    })()
  }
}

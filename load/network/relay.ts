/**
 * The link emulator's userspace half: a TCP relay between the load and a server that adds
 * what a real path adds, separately in each direction — a one-way delay with jitter (order
 * kept, as TCP keeps it), a bandwidth cap per connection (a token bucket; depth 0 by
 * default, so each chunk takes its bytes ÷ rate to leave, as on a serial link) and an
 * optional bottleneck all connections share. `tc netem` and `tbf` would do this in the
 * kernel; this kernel has no qdisc modules. Real loss is not made here: it comes from
 * nftables in a network namespace (`loss-namespace.ts`), so the kernel's own TCP
 * retransmits.
 *
 * Memory is bounded: a direction holds at most {@link LinkSettings.queueLimitBytes} (plus
 * one chunk); beyond that its sender is paused and TCP's flow control pushes back on the
 * peer, as a full router queue would. The relay counts what it moves and how late its timers
 * fire, so a run can tell when the emulator, not the server, was the limit.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { bytesPerSecond, type LinkProfile } from './profiles.ts'

/** What the relay does to each direction; defaults in {@link DEFAULT_LINK}. */
export interface LinkSettings {
  /** One-way delay added in each direction, ms (default 0). */
  delayMs: number
  /** Each chunk's one-way delay varies uniformly by ± this, ms; order is kept (default 0). */
  jitterMs: number
  /** Server-to-client bytes per second, per connection; 0 = no cap (default). */
  downBytesPerS: number
  /** Client-to-server bytes per second, per connection; 0 = no cap (default). */
  upBytesPerS: number
  /** Server-to-client bytes per second for all connections together; 0 = none (default). */
  sharedDownBytesPerS: number
  /** Client-to-server bytes per second for all connections together; 0 = none (default). */
  sharedUpBytesPerS: number
  /** Bytes a bucket lets pass at once after an idle spell (default 0: a serial link). */
  burstBytes: number
  /** Bytes one direction of one connection holds before its sender is paused (default 64 KiB). */
  queueLimitBytes: number
  /**
   * Whether a new connection pays the TCP handshake's round trip (default false; true for a
   * profile's link): the client's connect completes at once against the relay's local
   * socket, so its first bytes are held one RTT longer, as if they had waited for the SYN-ACK.
   */
  handshake: boolean
}

/** No delay, no cap, 64 KiB per direction. */
export const DEFAULT_LINK: Readonly<LinkSettings> = Object.freeze({
  delayMs: 0,
  jitterMs: 0,
  downBytesPerS: 0,
  upBytesPerS: 0,
  sharedDownBytesPerS: 0,
  sharedUpBytesPerS: 0,
  burstBytes: 0,
  queueLimitBytes: 64 * 1024,
  handshake: false,
})

/**
 * The relay settings of a profile: half its RTT each way, its caps per connection, and the
 * handshake's round trip on every new connection.
 */
export function linkOf(profile: LinkProfile, extra: Partial<LinkSettings> = {}): LinkSettings {
  return {
    ...DEFAULT_LINK,
    handshake: true,
    delayMs: profile.rttMs / 2,
    jitterMs: profile.jitterMs,
    downBytesPerS: bytesPerSecond(profile.downKbps),
    upBytesPerS: bytesPerSecond(profile.upKbps),
    ...extra,
  }
}

/** What the relay has done since it started (counters only grow). */
export interface RelayStats {
  /** Connections open now. */
  connections: number
  /** Connections accepted so far. */
  accepted: number
  /** Upstream connections that failed (the server refused or reset them). */
  upstreamErrors: number
  /** Chunks written, both directions. */
  chunks: number
  /** Bytes written server-to-client. */
  bytesDown: number
  /** Bytes written client-to-server. */
  bytesUp: number
  /** Bytes held in the relay's queues now. */
  queuedBytes: number
  /** Times a sender was paused because its direction's queue was full. */
  pauses: number
  /** Chunks written more than 2 ms after their due time (the relay's own lag). */
  lateChunks: number
  /** The latest a chunk was written after its due time, ms. */
  maxLateMs: number
  /** Sum of every chunk's lateness, ms (÷ chunks: the mean). */
  lateMsSum: number
}

/** A rate limit in virtual time (GCRA, the token bucket's equivalent). */
class Bucket {
  /** When the bytes accepted so far have all left, ms (performance.now() clock). */
  #freeAtMs = 0
  readonly bytesPerMs: number
  readonly burstMs: number

  constructor(bytesPerMs: number, burstMs: number) {
    this.bytesPerMs = bytesPerMs
    this.burstMs = burstMs
  }

  /** When `bytes` that reach the bucket at `arrivalMs` have all left it. */
  depart(arrivalMs: number, bytes: number): number {
    this.#freeAtMs = Math.max(this.#freeAtMs, arrivalMs) + bytes / this.bytesPerMs
    return Math.max(arrivalMs, this.#freeAtMs - this.burstMs)
  }
}

function bucketOf(bytesPerS: number, burstBytes: number): Bucket | null {
  if (bytesPerS <= 0) return null
  const bytesPerMs = bytesPerS / 1000
  return new Bucket(bytesPerMs, burstBytes / bytesPerMs)
}

/** A chunk in flight, or the end of the stream (a FIN or a reset) behind the last chunk. */
type InFlight = { bytes: Buffer; dueMs: number } | { end: 'fin' | 'reset'; dueMs: number }

/** Lateness above this counts as the relay's own lag, ms. */
const LATE_MS = 2
/** A timer this close to its due time writes instead of sleeping again, ms. */
const EARLY_MS = 0.5

/** One direction of one connection: bytes from `from` reach `to` on the link's schedule. */
class Lane {
  readonly #queue: InFlight[] = []
  #queuedBytes = 0
  #lastDueMs = 0
  #timer: NodeJS.Timeout | null = null
  #paused = false
  readonly #own: Bucket | null
  readonly #segmentBytes: number
  readonly from: Socket
  readonly to: Socket
  readonly down: boolean
  readonly settings: LinkSettings
  readonly shared: Bucket | null
  readonly relay: LinkRelay

  constructor(
    from: Socket,
    to: Socket,
    down: boolean,
    settings: LinkSettings,
    shared: Bucket | null,
    relay: LinkRelay,
  ) {
    this.from = from
    this.to = to
    this.down = down
    this.settings = settings
    this.shared = shared
    this.relay = relay
    // The handshake: nothing from the client arrives before SYN, SYN-ACK and the bytes' own
    // one-way trip — three one-way delays after the connect (see LinkSettings.handshake).
    if (!down && settings.handshake) this.#lastDueMs = performance.now() + 3 * settings.delayMs
    const rate = down ? settings.downBytesPerS : settings.upBytesPerS
    this.#own = bucketOf(rate, settings.burstBytes)
    const slowest = Math.min(
      ...[rate, down ? settings.sharedDownBytesPerS : settings.sharedUpBytesPerS].filter(
        (r) => r > 0,
      ),
      Infinity,
    )
    // A capped chunk leaves in segments of ~10 ms of the slowest rate (at least one MSS), so
    // a frame at the front of a big chunk is not held until the chunk's last byte has left.
    this.#segmentBytes = slowest === Infinity ? Infinity : Math.max(1460, Math.ceil(slowest / 100))
    from.on('data', (bytes: Buffer) => {
      this.#accept(bytes)
    })
    to.on('drain', () => {
      this.#resumeIfRoom()
    })
  }

  get queuedBytes(): number {
    return this.#queuedBytes
  }

  /** Puts the end of the stream behind what is in flight. */
  end(kind: 'fin' | 'reset'): void {
    this.#queue.push({ end: kind, dueMs: this.#dueAfter(performance.now()) })
    this.#kick()
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
    this.#queue.length = 0
    this.#queuedBytes = 0
  }

  #accept(bytes: Buffer): void {
    const now = performance.now()
    for (let at = 0; at < bytes.length; at += this.#segmentBytes) {
      const segment =
        this.#segmentBytes >= bytes.length ? bytes : bytes.subarray(at, at + this.#segmentBytes)
      let leftMs = now
      if (this.shared !== null) leftMs = this.shared.depart(leftMs, segment.length)
      if (this.#own !== null) leftMs = this.#own.depart(leftMs, segment.length)
      this.#queue.push({ bytes: segment, dueMs: this.#dueAfter(leftMs) })
      this.#queuedBytes += segment.length
    }
    if (
      !this.#paused &&
      this.#queuedBytes + this.to.writableLength > this.settings.queueLimitBytes
    ) {
      this.#paused = true
      this.relay.counters.pauses++
      this.from.pause()
    }
    this.#kick()
  }

  /** The due time of something that has left the bucket at `leftMs`: delay, jitter, order. */
  #dueAfter(leftMs: number): number {
    const { delayMs, jitterMs } = this.settings
    const jitter = jitterMs > 0 ? (Math.random() * 2 - 1) * jitterMs : 0
    this.#lastDueMs = Math.max(this.#lastDueMs, leftMs + Math.max(0, delayMs + jitter))
    return this.#lastDueMs
  }

  #kick(): void {
    if (this.#timer !== null) return
    const now = performance.now()
    const counters = this.relay.counters
    let corked = false
    for (;;) {
      const head = this.#queue[0]
      if (head === undefined) break
      if (head.dueMs > now + EARLY_MS) {
        this.#timer = setTimeout(
          () => {
            this.#timer = null
            this.#kick()
          },
          Math.max(1, Math.ceil(head.dueMs - now)),
        )
        break
      }
      this.#queue.shift()
      const late = Math.max(0, now - head.dueMs)
      counters.lateMsSum += late
      if (late > counters.maxLateMs) counters.maxLateMs = late
      if (late > LATE_MS) counters.lateChunks++
      if ('end' in head) {
        if (head.end === 'fin') this.to.end()
        else this.to.resetAndDestroy()
        break
      }
      this.#queuedBytes -= head.bytes.length
      if (this.to.destroyed) continue
      if (!corked) {
        this.to.cork()
        corked = true
      }
      this.to.write(head.bytes)
      counters.chunks++
      if (this.down) counters.bytesDown += head.bytes.length
      else counters.bytesUp += head.bytes.length
    }
    if (corked) this.to.uncork()
    this.#resumeIfRoom()
  }

  #resumeIfRoom(): void {
    if (!this.#paused) return
    if (this.#queuedBytes + this.to.writableLength > this.settings.queueLimitBytes / 2) return
    this.#paused = false
    this.from.resume()
  }
}

/** One relayed connection. */
interface Pair {
  client: Socket
  upstream: Socket
  lanes: [Lane, Lane]
}

/** Where the relay listens and where it forwards to. */
export interface RelayOptions {
  /** Server address, e.g. `{ host: '127.0.0.1', port: 8080 }`. */
  upstream: { host: string; port: number }
  /** Listen address (default `127.0.0.1`). */
  host?: string
  /** Listen port (default 0: a free one). */
  port?: number
  /** The link; defaults from {@link DEFAULT_LINK}. */
  link?: Partial<LinkSettings>
}

/** A running relay. */
export class LinkRelay {
  readonly counters: Omit<RelayStats, 'connections' | 'queuedBytes'> = {
    accepted: 0,
    upstreamErrors: 0,
    chunks: 0,
    bytesDown: 0,
    bytesUp: 0,
    pauses: 0,
    lateChunks: 0,
    maxLateMs: 0,
    lateMsSum: 0,
  }
  readonly settings: Readonly<LinkSettings>
  readonly #server: Server
  readonly #pairs = new Set<Pair>()
  readonly #sharedDown: Bucket | null
  readonly #sharedUp: Bucket | null
  readonly #upstream: { host: string; port: number }

  private constructor(server: Server, options: RelayOptions) {
    this.#server = server
    this.#upstream = options.upstream
    this.settings = Object.freeze({ ...DEFAULT_LINK, ...options.link })
    for (const [key, value] of Object.entries(this.settings)) {
      if (key === 'handshake') {
        if (typeof value !== 'boolean') throw new Error(`link setting handshake must be a boolean`)
      } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new Error(`link setting ${key} must be a finite number ≥ 0, got ${String(value)}`)
      }
    }
    this.#sharedDown = bucketOf(this.settings.sharedDownBytesPerS, this.settings.burstBytes)
    this.#sharedUp = bucketOf(this.settings.sharedUpBytesPerS, this.settings.burstBytes)
  }

  /**
   * Listens and relays every connection to `options.upstream`.
   *
   * @throws Error when a link setting is negative or not a number, or the port is taken.
   */
  static async start(options: RelayOptions): Promise<LinkRelay> {
    const server = createServer({ allowHalfOpen: true, noDelay: true })
    const relay = new LinkRelay(server, options)
    server.on('connection', (client) => {
      relay.#adopt(client)
    })
    // Accept errors (EMFILE at the fd limit) must not stop the relay: the client sees a reset.
    server.on('error', () => undefined)
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    return relay
  }

  /** The listening port. */
  get port(): number {
    const address = this.#server.address()
    if (address === null || typeof address === 'string') throw new Error('relay is not listening')
    return address.port
  }

  /** `http://host:port` of the relay (an IPv6 host in brackets). */
  get url(): string {
    const address = this.#server.address()
    if (address === null || typeof address === 'string') throw new Error('relay is not listening')
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${host}:${String(address.port)}`
  }

  /** What the relay has done so far. */
  stats(): RelayStats {
    let queuedBytes = 0
    for (const pair of this.#pairs) for (const lane of pair.lanes) queuedBytes += lane.queuedBytes
    return { ...this.counters, connections: this.#pairs.size, queuedBytes }
  }

  /** Stops listening and resets every connection. */
  async close(): Promise<void> {
    for (const pair of this.#pairs) this.#drop(pair)
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve()
      })
    })
  }

  #adopt(client: Socket): void {
    this.counters.accepted++
    const upstream = connect({
      host: this.#upstream.host,
      port: this.#upstream.port,
      allowHalfOpen: true,
      noDelay: true,
    })
    const pair: Pair = {
      client,
      upstream,
      lanes: [
        new Lane(client, upstream, false, this.settings, this.#sharedUp, this),
        new Lane(upstream, client, true, this.settings, this.#sharedDown, this),
      ],
    }
    this.#pairs.add(pair)
    const [up, down] = pair.lanes
    let connected = false
    upstream.once('connect', () => {
      connected = true
    })
    // A FIN travels behind the data, with the link's delay.
    client.on('end', () => {
      up.end('fin')
    })
    upstream.on('end', () => {
      down.end('fin')
    })
    // A reset (or a refused upstream) also travels behind what is in flight.
    client.on('error', () => {
      up.end('reset')
    })
    upstream.on('error', () => {
      if (!connected) this.counters.upstreamErrors++
      down.end('reset')
    })
    const closed = (): void => {
      if (client.destroyed && upstream.destroyed) this.#drop(pair)
    }
    client.on('close', closed)
    upstream.on('close', closed)
  }

  #drop(pair: Pair): void {
    if (!this.#pairs.delete(pair)) return
    for (const lane of pair.lanes) lane.stop()
    pair.client.destroy()
    pair.upstream.destroy()
  }
}

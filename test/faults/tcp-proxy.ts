/**
 * A TCP proxy on loopback that injects the faults a real network has: added latency,
 * a bandwidth cap, a stalled path, a clean cut (FIN) and a reset (RST). `tc netem` is not
 * available on these machines; this stands in for it in fault tests.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'

/** What the proxy does to bytes in flight; change it at any time with {@link FaultProxy.set}. */
export interface FaultSettings {
  /** Added one-way delay per chunk, ms (default 0). */
  delayMs: number
  /** Bytes per second in each direction; 0 = unlimited (default). */
  bytesPerS: number
  /** While true, nothing is forwarded: bytes queue up as on a stalled path (default false). */
  paused: boolean
}

const DEFAULT_SETTINGS: Readonly<FaultSettings> = Object.freeze({
  delayMs: 0,
  bytesPerS: 0,
  paused: false,
})

/** One proxied connection: the client side and the upstream side. */
interface Pair {
  client: Socket
  upstream: Socket
  pumps: Pump[]
}

/** Moves bytes one way with delay, bandwidth cap and pause applied. */
class Pump {
  readonly #queue: { bytes: Buffer; dueMs: number }[] = []
  readonly #to: Socket
  readonly #settings: () => FaultSettings
  #timer: NodeJS.Timeout | null = null
  #budgetResetMs = 0
  #budget = 0

  constructor(from: Socket, to: Socket, settings: () => FaultSettings) {
    this.#to = to
    this.#settings = settings
    from.on('data', (bytes: Buffer) => {
      this.#queue.push({ bytes, dueMs: Date.now() + this.#settings().delayMs })
      this.kick()
    })
  }

  /** Bytes waiting to be forwarded. */
  get queued(): number {
    return this.#queue.reduce((sum, item) => sum + item.bytes.length, 0)
  }

  /** Forwards what is due now and schedules the rest. */
  kick(): void {
    if (this.#timer !== null) return
    const { paused, bytesPerS } = this.#settings()
    if (paused || this.#to.destroyed) return
    const now = Date.now()
    for (;;) {
      const head = this.#queue[0]
      if (head === undefined) return
      if (head.dueMs > now) {
        this.#schedule(head.dueMs - now)
        return
      }
      if (bytesPerS > 0) {
        // A budget of bytesPerS/20 every 50 ms keeps the rate smooth.
        if (now - this.#budgetResetMs >= 50) {
          this.#budget = Math.max(1, Math.floor(bytesPerS / 20))
          this.#budgetResetMs = now
        }
        if (this.#budget <= 0) {
          this.#schedule(50 - (now - this.#budgetResetMs))
          return
        }
        const take = Math.min(this.#budget, head.bytes.length)
        this.#budget -= take
        this.#to.write(head.bytes.subarray(0, take))
        if (take === head.bytes.length) this.#queue.shift()
        else head.bytes = head.bytes.subarray(take)
      } else {
        this.#to.write(head.bytes)
        this.#queue.shift()
      }
    }
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }

  #schedule(ms: number): void {
    this.#timer = setTimeout(
      () => {
        this.#timer = null
        this.kick()
      },
      Math.max(1, ms),
    )
  }
}

/** A running proxy in front of one upstream address. */
export class FaultProxy {
  readonly #server: Server
  readonly #pairs = new Set<Pair>()
  #settings: FaultSettings = { ...DEFAULT_SETTINGS }

  private constructor(server: Server) {
    this.#server = server
  }

  /**
   * Listens on 127.0.0.1 (a free port) and forwards every connection to
   * `upstreamHost:upstreamPort`.
   */
  static async start(upstreamPort: number, upstreamHost = '127.0.0.1'): Promise<FaultProxy> {
    const server = createServer()
    const proxy = new FaultProxy(server)
    server.on('connection', (client) => {
      proxy.#adopt(client, upstreamPort, upstreamHost)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  /** `http://127.0.0.1:<port>` of the proxy. */
  get url(): string {
    const address = this.#server.address()
    if (address === null || typeof address === 'string') throw new Error('proxy is not listening')
    return `http://127.0.0.1:${address.port}`
  }

  /** Connections currently proxied. */
  get connections(): number {
    return this.#pairs.size
  }

  /** Bytes queued in the proxy across all connections (what a stalled path holds). */
  get queuedBytes(): number {
    let total = 0
    for (const pair of this.#pairs) for (const pump of pair.pumps) total += pump.queued
    return total
  }

  /** Changes the faults for every connection, present and future. */
  set(settings: Partial<FaultSettings>): void {
    this.#settings = { ...this.#settings, ...settings }
    for (const pair of this.#pairs) for (const pump of pair.pumps) pump.kick()
  }

  /** Ends every connection cleanly (FIN both ways), as a path that closes. */
  cutAll(): void {
    for (const pair of this.#pairs) {
      pair.client.end()
      pair.upstream.end()
    }
  }

  /** Resets every connection (RST both ways), as a crashed middlebox. */
  resetAll(): void {
    for (const pair of this.#pairs) {
      pair.client.resetAndDestroy()
      pair.upstream.resetAndDestroy()
    }
  }

  /** Stops listening and resets what is left. */
  async close(): Promise<void> {
    this.resetAll()
    await new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve()
      })
    })
  }

  #adopt(client: Socket, upstreamPort: number, upstreamHost: string): void {
    const upstream = connect(upstreamPort, upstreamHost)
    const settings = (): FaultSettings => this.#settings
    const pair: Pair = {
      client,
      upstream,
      pumps: [new Pump(client, upstream, settings), new Pump(upstream, client, settings)],
    }
    this.#pairs.add(pair)
    const finish = (): void => {
      if (!this.#pairs.delete(pair)) return
      for (const pump of pair.pumps) pump.stop()
      client.destroy()
      upstream.destroy()
    }
    for (const socket of [client, upstream]) {
      socket.on('error', finish)
      socket.on('close', finish)
    }
    client.on('end', () => upstream.end())
    upstream.on('end', () => client.end())
  }
}

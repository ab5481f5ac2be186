/**
 * Prometheus metrics of one server. The names are a contract with the bench: do not
 * rename them. One registry per server so several servers can run in one process (tests).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { Protocol } from '../transports/protocols.ts'

/** The metrics every transport reports into. */
export class ServerMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry()
  /** `realtime_clients{protocol}`: open clients, read from the transports at scrape time. */
  readonly clients: Gauge<'protocol'>
  /** `realtime_frames_sent_total{protocol}`: feed messages written to clients. */
  readonly framesSent: Counter<'protocol'>
  /** `realtime_bytes_sent_total{protocol}`: bytes written, framing included (best effort). */
  readonly bytesSent: Counter<'protocol'>
  /** `realtime_slow_consumer_closes_total{protocol}`: clients closed for passing the buffer bound. */
  readonly slowConsumerCloses: Counter<'protocol'>
  /** `realtime_feed_seq`: seq of the newest frame. */
  readonly feedSeq: Gauge
  // Frames and bytes counted by `sent` since the last scrape, per protocol: the hot paths
  // add two numbers; the labelled counters are updated once per scrape.
  readonly #unscraped = new Map<Protocol, { frames: number; bytes: number }>()

  /**
   * @param clientCounts - Reads the open-client count of each protocol at scrape time.
   * @param feedSeq - Reads the newest seq at scrape time.
   */
  constructor(clientCounts: () => Iterable<[Protocol, number]>, feedSeq: () => number) {
    const registers = [this.registry]
    this.clients = new Gauge({
      name: 'realtime_clients',
      help: 'Open clients per protocol (poll clients: open keep-alive connections that have polled).',
      labelNames: ['protocol'],
      registers,
      collect() {
        for (const [protocol, count] of clientCounts()) this.set({ protocol }, count)
      },
    })
    const unscraped = this.#unscraped
    // Both counters flush the pending sums; whichever is collected first takes them all.
    const flush = (): void => {
      for (const [protocol, sums] of unscraped) {
        if (sums.frames > 0) this.framesSent.inc({ protocol }, sums.frames)
        if (sums.bytes > 0) this.bytesSent.inc({ protocol }, sums.bytes)
        sums.frames = 0
        sums.bytes = 0
      }
    }
    this.framesSent = new Counter({
      name: 'realtime_frames_sent_total',
      help: 'Feed messages written to clients.',
      labelNames: ['protocol'],
      registers,
      collect: flush,
    })
    this.bytesSent = new Counter({
      name: 'realtime_bytes_sent_total',
      help: 'Bytes written to clients, protocol framing included (best effort).',
      labelNames: ['protocol'],
      registers,
      collect: flush,
    })
    this.slowConsumerCloses = new Counter({
      name: 'realtime_slow_consumer_closes_total',
      help: 'Clients closed because their unsent buffer passed the bound.',
      labelNames: ['protocol'],
      registers,
    })
    this.feedSeq = new Gauge({
      name: 'realtime_feed_seq',
      help: 'Seq of the newest feed frame.',
      registers,
      collect() {
        this.set(feedSeq())
      },
    })
    collectDefaultMetrics({ register: this.registry })
  }

  /** Count `frames` messages and `bytes` bytes written by `protocol`. */
  sent(protocol: Protocol, frames: number, bytes: number): void {
    if (frames === 0) return
    let sums = this.#unscraped.get(protocol)
    if (sums === undefined) {
      sums = { frames: 0, bytes: 0 }
      this.#unscraped.set(protocol, sums)
    }
    sums.frames += frames
    sums.bytes += bytes
  }
}

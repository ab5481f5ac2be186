/**
 * The Prometheus metrics the baseline exposes, under the same names as the reference
 * server's, so the bench reads both the same way.
 */
import { Counter, Gauge, Registry } from 'prom-client'
import type { NaiveFeed } from './naive-feed.ts'

/** Metrics of one baseline server process. */
export interface NaiveMetrics {
  readonly registry: Registry
  /** Open clients (connections, or requests held open by long polls), per protocol. */
  readonly clients: Gauge<'protocol'>
  readonly framesSent: Counter<'protocol'>
  readonly bytesSent: Counter<'protocol'>
}

/** Creates the registry; `realtime_feed_seq` reads the feed's clock when scraped. */
export function createNaiveMetrics(feed: NaiveFeed): NaiveMetrics {
  const registry = new Registry()
  const clients = new Gauge({
    name: 'realtime_clients',
    help: 'Open clients per protocol',
    labelNames: ['protocol'],
    registers: [registry],
  })
  const framesSent = new Counter({
    name: 'realtime_frames_sent_total',
    help: 'Feed messages sent, per protocol',
    labelNames: ['protocol'],
    registers: [registry],
  })
  const bytesSent = new Counter({
    name: 'realtime_bytes_sent_total',
    help: 'Payload bytes of feed messages sent, per protocol',
    labelNames: ['protocol'],
    registers: [registry],
  })
  // Never incremented: the naive design has no slow-consumer bound. Exposed so scrapes match.
  new Counter({
    name: 'realtime_slow_consumer_closes_total',
    help: 'Clients closed for exceeding the send buffer bound (never, in the naive design)',
    labelNames: ['protocol'],
    registers: [registry],
  })
  new Gauge({
    name: 'realtime_feed_seq',
    help: 'Current feed seq',
    registers: [registry],
    collect() {
      this.set(feed.currentSeq())
    },
  })
  return { registry, clients, framesSent, bytesSent }
}

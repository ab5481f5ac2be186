/**
 * How a server reports its bus: the `realtime_bus_up` gauge and, with the Redis bus,
 * `GET /healthz` answered as `200 {"status":"ok",…,"bus":{"kind":"redis","up":true}}` or
 * `503 {"status":"degraded","reason":…,"bus":{…}}` while Redis is away. Clients stay
 * connected during an outage; the 503 tells a load balancer or an operator, not the clients.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { BusStatus } from './feed-source.ts'

/**
 * Register `realtime_bus_up` (1 when frames arrive from the bus, else 0) and
 * `realtime_bus_rejected_entries_total` (stream entries stepped over) in `registry`.
 */
export function registerBusMetric(registry: Registry, status: () => BusStatus): Gauge {
  new Counter({
    name: 'realtime_bus_rejected_entries_total',
    help: 'Stream entries skipped because they are not a frame the ticker wrote; memory bus: 0.',
    registers: [registry],
    collect() {
      this.reset()
      this.inc(status().rejectedEntries ?? 0)
    },
  })
  return new Gauge({
    name: 'realtime_bus_up',
    help: 'Whether frames arrive from the bus (1) or it is unreachable (0); memory bus: always 1.',
    registers: [registry],
    collect() {
      this.set(status().up ? 1 : 0)
    },
  })
}

/**
 * Wrap `app` so that `GET /healthz` also reports the bus. `fields` gives the rest of the
 * health body (epoch, seq, clients), as the app's own `/healthz` does.
 */
export function withBusHealth(
  app: RequestListener,
  status: () => BusStatus,
  fields: () => Record<string, unknown>,
): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/healthz' || req.method !== 'GET') {
      app(req, res)
      return
    }
    const bus = status()
    const body = bus.up
      ? { status: 'ok', ...fields(), bus }
      : { status: 'degraded', reason: bus.reason, ...fields(), bus }
    res.writeHead(bus.up ? 200 : 503, { 'content-type': 'application/json; charset=utf-8' })
    res.end(JSON.stringify(body))
  }
}

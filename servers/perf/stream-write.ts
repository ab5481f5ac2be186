/**
 * Server CPU per frame written on a push stream (SSE or WebSocket), baseline commit vs this
 * checkout, in one run: the same measurement for both, so the two push transports compare.
 *
 *   npx node servers/perf/stream-write.ts --protocol sse [--clients 2000] [--rounds 3] [--window 10] [--base <ref>]
 *   npx node servers/perf/stream-write.ts --protocol websocket [--clients 2000] …
 *
 * Each round starts each server (`serve --protocols <p>`), opens the clients, and divides the
 * server's CPU time over the window by the frames it wrote (its `realtime_frames_sent_total`).
 * Writes `servers/perf/runs/<protocol>-write.json` (or `--out`).
 */
import { parseArgs } from 'node:util'
import { REPO_ROOT } from './base-checkout.ts'
import { MEASURE_FLAGS, measure, measureOptions } from './measure.ts'
import { openStreamClients } from './stream-clients.ts'

const { values } = parseArgs({
  options: {
    ...MEASURE_FLAGS,
    protocol: { type: 'string', default: 'sse' },
    clients: { type: 'string', default: '2000' },
    pad: { type: 'string', default: '0' },
  },
})
const protocol = values.protocol
if (protocol !== 'sse' && protocol !== 'websocket')
  throw new Error(`--protocol takes sse or websocket, got "${protocol}"`)
const clients = Number(values.clients)
const rampMs = Math.max(1000, clients)

await measure(
  {
    name: `${protocol}-write`,
    unit: 'frame written',
    serverArgs: ['--protocols', protocol, '--rate', values.rate, '--pad', values.pad],
    params: { clients, rampMs, rate: Number(values.rate), pad: Number(values.pad) },
    open: (server) => openStreamClients(protocol, server.url, clients, rampMs),
    serverCount: (server) => server.counter('realtime_frames_sent_total', protocol),
  },
  measureOptions(values, `${REPO_ROOT}/servers/perf/runs/${protocol}-write.json`),
)

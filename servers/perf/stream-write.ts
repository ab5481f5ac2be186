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
import { REPO_ROOT } from './base-checkout.ts'
import { MEASURE_FLAGS, measure, measureOptions } from './measure.ts'
import { openStreamClients } from './stream-clients.ts'
import { flagNumber, parseToolArgs, usageError } from '../../load/kit/tool-args.ts'

const USAGE =
  'npx node servers/perf/stream-write.ts [flags]: server CPU per frame written on SSE or WebSocket, a base commit against this checkout'
const { values } = parseToolArgs(USAGE, {
  options: {
    ...MEASURE_FLAGS,
    protocol: { type: 'string', default: 'sse' },
    clients: { type: 'string', default: '2000' },
    pad: { type: 'string', default: '0' },
  },
})
const protocol = values.protocol
if (protocol !== 'sse' && protocol !== 'websocket')
  usageError(`--protocol takes sse or websocket, got "${protocol}"`)
const clients = flagNumber('--clients', values.clients, { integer: true, min: 1 })
const rate = flagNumber('--rate', values.rate, { above: 0 })
const pad = flagNumber('--pad', values.pad, { integer: true, min: 0 })
const rampMs = Math.max(1000, clients)

await measure(
  {
    name: `${protocol}-write`,
    unit: 'frame written',
    serverArgs: ['--protocols', protocol, '--rate', values.rate, '--pad', values.pad],
    params: { clients, rampMs, rate, pad },
    open: (server) => openStreamClients(protocol, server.url, clients, rampMs),
    serverCount: (server) => server.counter('realtime_frames_sent_total', protocol),
  },
  measureOptions(values, `${REPO_ROOT}/servers/perf/runs/${protocol}-write.json`),
)

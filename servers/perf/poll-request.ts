/**
 * Server CPU per poll request answered, baseline commit vs this checkout, in one run.
 *
 *   npx node servers/perf/poll-request.ts --protocol long-poll [--clients 1000] [--rounds 3]
 *   npx node servers/perf/poll-request.ts --protocol short-poll [--clients 2500] [--interval 1000]
 *
 * Each round starts each server (`serve --protocols <protocol>`), opens the clients and
 * divides the server's CPU time over the window by the replies (200 or 304) the clients
 * received in it. Writes `servers/perf/runs/<protocol>-request.json` (or `--out`).
 */
import { parseArgs } from 'node:util'
import { REPO_ROOT } from './base-checkout.ts'
import { MEASURE_FLAGS, measure, measureOptions } from './measure.ts'
import { openPollClients } from './poll-clients.ts'

const { values } = parseArgs({
  options: {
    ...MEASURE_FLAGS,
    protocol: { type: 'string', default: 'long-poll' },
    clients: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '1000' },
  },
})
const protocol = values.protocol
if (protocol !== 'long-poll' && protocol !== 'short-poll') {
  throw new TypeError(`--protocol must be long-poll or short-poll, got ${protocol}`)
}
const clients = Number(values.clients)
const intervalMs = Number(values.interval)
const rampMs = Math.max(1000, clients)

await measure(
  {
    name: `${protocol}-request`,
    unit: 'request',
    serverArgs: ['--protocols', protocol, '--rate', values.rate],
    params: { protocol, clients, rampMs, intervalMs, rate: Number(values.rate) },
    open: (server) => openPollClients({ url: server.url, protocol, clients, rampMs, intervalMs }),
  },
  measureOptions(values, `${REPO_ROOT}/servers/perf/runs/${protocol}-request.json`),
)

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
import { REPO_ROOT } from './base-checkout.ts'
import { MEASURE_FLAGS, measure, measureOptions } from './measure.ts'
import { openPollClients } from './poll-clients.ts'
import { flagNumber, parseToolArgs, usageError } from '../../load/kit/tool-args.ts'

const USAGE =
  'npx node servers/perf/poll-request.ts [flags]: server CPU per poll request answered, a base commit against this checkout'
const { values } = parseToolArgs(USAGE, {
  options: {
    ...MEASURE_FLAGS,
    protocol: { type: 'string', default: 'long-poll' },
    clients: { type: 'string', default: '1000' },
    interval: { type: 'string', default: '1000' },
  },
})
const protocol = values.protocol
if (protocol !== 'long-poll' && protocol !== 'short-poll') {
  usageError(`--protocol must be long-poll or short-poll, got ${protocol}`)
}
const clients = flagNumber('--clients', values.clients, { integer: true, min: 1 })
const intervalMs = flagNumber('--interval', values.interval, { above: 0 })
const rate = flagNumber('--rate', values.rate, { above: 0 })
const rampMs = Math.max(1000, clients)

await measure(
  {
    name: `${protocol}-request`,
    unit: 'request',
    serverArgs: ['--protocols', protocol, '--rate', values.rate],
    params: { protocol, clients, rampMs, intervalMs, rate },
    open: (server) => openPollClients({ url: server.url, protocol, clients, rampMs, intervalMs }),
  },
  measureOptions(values, `${REPO_ROOT}/servers/perf/runs/${protocol}-request.json`),
)

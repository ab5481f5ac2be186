/**
 * Server CPU per SSE frame written, baseline commit vs this checkout, in one run.
 *
 *   npx node bench/sse-write.ts [--clients 2000] [--rounds 3] [--window 10] [--base <ref>]
 *
 * Each round starts each server (`serve --protocols sse`), opens the clients, and divides the
 * server's CPU time over the window by the frames it wrote (its `realtime_frames_sent_total`).
 * Writes `bench/runs/sse-write.json` (or `--out`).
 */
import { parseArgs } from 'node:util'
import { DEFAULT_BASE_REF, REPO_ROOT } from './base-checkout.ts'
import { measure } from './measure.ts'
import { openStreamClients } from './stream-clients.ts'

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '10' },
    pad: { type: 'string', default: '0' },
    rounds: { type: 'string', default: '3' },
    settle: { type: 'string', default: '3' },
    window: { type: 'string', default: '10' },
    base: { type: 'string', default: DEFAULT_BASE_REF },
    out: { type: 'string', default: `${REPO_ROOT}/bench/runs/sse-write.json` },
    'cpu-prof': { type: 'string' },
  },
})
const clients = Number(values.clients)
const rampMs = Math.max(1000, clients)

await measure(
  {
    name: 'sse-write',
    unit: 'frame written',
    serverArgs: ['--protocols', 'sse', '--rate', values.rate, '--pad', values.pad],
    params: { clients, rampMs, rate: Number(values.rate), pad: Number(values.pad) },
    open: (server) => openStreamClients('sse', server.url, clients, rampMs),
    serverCount: (server) => server.counter('realtime_frames_sent_total', 'sse'),
  },
  {
    baseRef: values.base,
    rounds: Number(values.rounds),
    settleS: Number(values.settle),
    windowS: Number(values.window),
    out: values.out,
    cpuProfDir: values['cpu-prof'],
  },
)

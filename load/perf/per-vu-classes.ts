/**
 * Benchmark (not a test): what the per-VU module instances cost per message. Every VU runs
 * the bundled script's init code, as k6 does, so a class the script defines is a new class
 * per VU: instances of different VUs have different hidden classes, and the shared
 * optimized code of its methods sees as many shapes as there are VUs on the thread. That is
 * why load/lib/feed-reader.ts's tracker is a plain object made by one object literal (one
 * shape for every VU) read by plain functions. This times `readFeedText(tracker, frame)`
 * called round-robin over the trackers of N VUs on one thread, for several N; run it in a
 * checkout from before that change (the class `FeedTracker`) to see the difference.
 *
 *   npx node load/perf/per-vu-classes.ts [--vus 1,4,50,500,2500] [--calls 2000000]
 */
import { join } from 'node:path'
import { bundleScript } from '../engine/bundle.ts'
import { MetricSink } from '../engine/metric-sink.ts'
import { VuContext } from '../engine/vu-context.ts'
import { compileFactory, instantiate } from '../engine/vu-instance.ts'
import { flagNumber, flagNumbers, parseToolArgs } from '../kit/tool-args.ts'

const USAGE =
  'npx node load/perf/per-vu-classes.ts [flags]: the cost per message of per-VU module instances, for several VU counts'
const { values: args } = parseToolArgs(USAGE, {
  options: {
    vus: { type: 'string', default: '1,4,50,500,2500' },
    calls: { type: 'string', default: '2000000' },
  },
})
const calls = flagNumber('--calls', args.calls, { integer: true, min: 1 })
const vuCounts = flagNumbers('--vus', args.vus, { integer: true, min: 1 })

type CreateTracker = (protocol: string, steadyFrom: number) => object
type ReadText = (tracker: object, text: string, receivedAt: number) => string

const factory = compileFactory(
  await bundleScript(join(import.meta.dirname, '../lib/feed-reader.ts')),
  'feed-reader.ts',
)
const sink = new MetricSink(false)
const frame =
  '{"type":"frame","epoch":"A6VPPdD5","seq":90,"t":1795334466604.847,"sprites":[{"i":0,"x":1,"y":2}],"events":[]}'

const rows: { vus: number; nsPerRead: number }[] = []
for (const vus of vuCounts) {
  const trackers: object[] = []
  const readers: ReadText[] = []
  for (let id = 1; id <= vus; id++) {
    const vu = new VuContext({ id, scenario: undefined, scenarioStartTime: 0, sink, env: {} })
    const { exports } = instantiate(factory, vu)
    trackers.push((exports['createFeedTracker'] as CreateTracker)('websocket', 0))
    readers.push(exports['readFeedText'] as ReadText)
  }
  let best = Infinity
  for (let round = 0; round < 3; round++) {
    const started = process.hrtime.bigint()
    for (let i = 0; i < calls; i++) {
      const tracker = trackers[i % vus]
      if (tracker !== undefined) readers[i % vus]?.(tracker, frame, 1795334466605)
    }
    best = Math.min(best, Number(process.hrtime.bigint() - started) / calls)
    sink.cut()
  }
  rows.push({ vus, nsPerRead: best })
  process.stdout.write(`${String(vus)} VUs on the thread: ${best.toFixed(0)} ns per read\n`)
}
process.stdout.write(`${JSON.stringify({ node: process.version, calls, rows })}\n`)

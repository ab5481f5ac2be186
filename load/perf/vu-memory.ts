/**
 * Benchmark helper (not a test): what one VU of the WebSocket scenario costs in memory, and
 * where. It runs N VUs of load/scenarios/websocket.ts in this process's main thread (the
 * same VuRunner a worker runs) against a server it starts, waits until every VU is
 * connected and receiving, then reports heap and RSS per VU and, with --snapshot, the
 * heap's self size per constructor divided by N (the top entries).
 *
 *   npx node --expose-gc load/perf/vu-memory.ts [--vus 1000] [--snapshot] [--keep] [--init-only]
 */
import { readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeHeapSnapshot } from 'node:v8'
import { MetricSink } from '../engine/metric-sink.ts'
import type { VuRunner } from '../engine/vu-runner.ts'
import { startServerProcess } from '../kit/server-process.ts'
import { makeVu, websocketFactory, websocketPlan } from './thread-vus.ts'
import { flagNumber, parseToolArgs, usageError } from '../kit/tool-args.ts'

const USAGE =
  'npx node --expose-gc load/perf/vu-memory.ts [flags]: heap and RSS per VU of the WebSocket scenario, and where it goes'
const { values: args } = parseToolArgs(USAGE, {
  options: {
    vus: { type: 'string', default: '1000' },
    snapshot: { type: 'boolean', default: false },
    /** Keep the .heapsnapshot file (for DevTools) and print its path. */
    keep: { type: 'boolean', default: false },
    /** Only run each VU's init context (no iteration, no connection): the module instance's share. */
    'init-only': { type: 'boolean', default: false },
  },
})
const vus = flagNumber('--vus', args.vus, { integer: true, min: 1 })
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined)
  usageError('run with --expose-gc: npx node --expose-gc load/perf/vu-memory.ts')

const serverProcess = await startServerProcess()
const baseUrl = serverProcess.url
const server = serverProcess.child

function settle(): { heap: number; heapTotal: number; external: number; rss: number } {
  gc?.()
  gc?.()
  const usage = process.memoryUsage()
  return {
    heap: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    rss: usage.rss,
  }
}

const env = { BASE_URL: baseUrl, VUS: String(vus), RAMP: '1s', HOLD: '60s' }
const factory = await websocketFactory()
const plan = websocketPlan(vus, 60_000)
const sink = new MetricSink(false)
const startedAt = Date.now()
const runners: VuRunner[] = []
// Flushes metrics as the worker does, so series buffers hold one second at most.
const flusher = setInterval(() => sink.cut(), 1000)

async function startVus(count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const runner = makeVu({
      vuId: runners.length + 1,
      plan,
      scenarioStartTime: startedAt,
      sink,
      env,
      factory,
    })
    runners.push(runner)
    if (!args['init-only']) void runner.run(undefined)
    if (i % 100 === 99) await new Promise((resolve) => setTimeout(resolve, 50))
  }
  // Connected and a few seconds of frames.
  await new Promise((resolve) => setTimeout(resolve, 4000))
}

await startVus(1)
const one = settle()
await startVus(vus - 1)
const all = settle()
const report = {
  vus,
  heapBytesPerVu: (all.heap - one.heap) / (vus - 1),
  heapCommittedBytesPerVu: (all.heapTotal - one.heapTotal) / (vus - 1),
  externalBytesPerVu: (all.external - one.external) / (vus - 1),
  rssBytesPerVu: (all.rss - one.rss) / (vus - 1),
}
process.stdout.write(`${JSON.stringify(report)}\n`)

if (args.snapshot) {
  const file = writeHeapSnapshot(join(tmpdir(), `vu-memory-${String(process.pid)}.heapsnapshot`))
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }
    nodes: number[]
    strings: string[]
  }
  if (args.keep) process.stdout.write(`heap snapshot: ${file}\n`)
  else rmSync(file)
  const fields = snapshot.snapshot.meta.node_fields
  const width = fields.length
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  const types = snapshot.snapshot.meta.node_types[0]
  const bySize = new Map<string, { count: number; bytes: number }>()
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt] ?? 0] ?? ''
    const name = snapshot.strings[snapshot.nodes[i + nameAt] ?? 0] ?? ''
    const key = type === 'object' || type === 'native' ? `${type}:${name}` : `(${type})`
    const entry = bySize.get(key) ?? { count: 0, bytes: 0 }
    entry.count++
    entry.bytes += snapshot.nodes[i + sizeAt] ?? 0
    bySize.set(key, entry)
  }
  const top = [...bySize.entries()].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 40)
  for (const [key, entry] of top) {
    process.stdout.write(
      `${(entry.bytes / vus).toFixed(0).padStart(7)} B/VU ${(entry.count / vus).toFixed(2).padStart(7)} /VU  ${key}\n`,
    )
  }
}

clearInterval(flusher)
for (const runner of runners) runner.stop(0)
server.kill('SIGTERM')
setTimeout(() => process.exit(0), 500).unref()

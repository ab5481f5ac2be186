/**
 * Benchmark (not a test): the engine's JavaScript cost per received WebSocket message,
 * without the kernel. It runs N VUs of load/scenarios/websocket.ts on this thread (the same
 * VuRunner a worker runs) against a server it starts, waits until all are connected, then
 * hands each VU's client a real feed frame straight from a buffer (the socket's `onread`
 * path minus the read syscall): frame parser → k6 MessageEvent → the script's handler →
 * the feed tracker → the metric sink, round-robin over the VUs, as a worker sees messages.
 * Beside it, the same frames into N bare lean clients that only decode and count
 * (raw-lean-clients.ts's work): the floor the engine's own JavaScript is measured against.
 *
 *   npx node load/perf/dispatch-cost.ts [--vus 2500] [--rounds 200] [--repeat 9] [--pollute KB] [--out FILE]
 *
 * Prints ns per message for both (medians over --repeat alternating passes), the median
 * difference, and the heap bytes each allocates per message.
 */
import { writeFileSync } from 'node:fs'
import { getHeapStatistics } from 'node:v8'
import { MetricSink } from '../engine/metric-sink.ts'
import { wireSocketOf } from '../engine/modules/websockets.ts'
import type { VuRunner } from '../engine/vu-runner.ts'
import { LeanWebSocket } from '../engine/wire/websocket-client.ts'
import type { WebSocketEvents } from '../engine/wire/websocket-client.ts'
import { median } from '../kit/percentile.ts'
import { startServerProcess } from '../kit/server-process.ts'
import { makeVu, websocketFactory, websocketPlan } from './thread-vus.ts'
import { flagNumber, parseToolArgs } from '../kit/tool-args.ts'

const USAGE =
  "npx node load/perf/dispatch-cost.ts [flags]: the engine's JavaScript cost per WebSocket message, without the kernel, against bare lean clients"
const { values: args } = parseToolArgs(USAGE, {
  options: {
    vus: { type: 'string', default: '2500' },
    rounds: { type: 'string', default: '200' },
    repeat: { type: 'string', default: '9' },
    /** KB of unrelated memory read between two messages (the kernel's and other threads' share of the caches). */
    pollute: { type: 'string', default: '0' },
    /** Also write the figures to this file (JSON). */
    out: { type: 'string' },
  },
})
const vus = flagNumber('--vus', args.vus, { integer: true, min: 1 })
const rounds = flagNumber('--rounds', args.rounds, { integer: true, min: 1 })
const polluteKb = flagNumber('--pollute', args.pollute, { min: 0 })
const polluteDoubles = (polluteKb * 1024) / 8
const pollution = new Float64Array(polluteDoubles > 0 ? (64 * 1024 * 1024) / 8 : 0)
let pollutionAt = 0
let pollutionSum = 0
const repeat = flagNumber('--repeat', args.repeat, { integer: true, min: 1 })

// A slow feed: the sockets stay open, and real frames barely interleave with the timed loop.
const serverProcess = await startServerProcess({ args: ['--rate', '1'] })
const baseUrl = serverProcess.url
const server = serverProcess.child
const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/ws`

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Events that only count, as raw-lean-clients.ts. */
let counted = 0
const countingEvents: WebSocketEvents = {
  onOpen: () => undefined,
  onText(text) {
    if (text.length > 0) counted++
  },
  onBinary(data) {
    if (data.byteLength > 0) counted++
  },
  onPing: () => undefined,
  onPong: () => undefined,
  onError: () => undefined,
  onClose: () => undefined,
  onBytesReceived: () => undefined,
  onBytesSent: () => undefined,
}

// One real frame of the feed, as the server sends it (an unmasked text frame).
const frameText = await new Promise<string>((resolve) => {
  const events: WebSocketEvents = {
    ...countingEvents,
    onText(text) {
      if (text.startsWith('{"type":"frame"')) {
        socket.terminate()
        resolve(text)
      }
    },
  }
  const socket = new LeanWebSocket(wsUrl, events)
})
const payload = Buffer.from(frameText)
const header =
  payload.length < 126
    ? Buffer.from([0x81, payload.length])
    : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff])
const frame = Buffer.concat([header, payload])

// N engine VUs on this thread.
const env = {
  BASE_URL: baseUrl,
  VUS: String(vus),
  RAMP: '0s',
  HOLD: '600s',
  LATENCY_P95: '100000',
}
const factory = await websocketFactory()
const plan = websocketPlan(vus, 600_000)
const sink = new MetricSink(false)
const flusher = setInterval(() => sink.cut(), 1000)
const runners: VuRunner[] = []
for (let i = 0; i < vus; i++) {
  const runner = makeVu({ vuId: i + 1, plan, scenarioStartTime: Date.now(), sink, env, factory })
  runners.push(runner)
  void runner.run(undefined)
  if (i % 100 === 99) await sleep(50)
}
const bare: LeanWebSocket[] = []
for (let i = 0; i < vus; i++) {
  bare.push(new LeanWebSocket(wsUrl, countingEvents))
  if (i % 100 === 99) await sleep(50)
}
await sleep(3000)

/** The wire client behind each VU's one k6 WebSocket. */
const engineClients: LeanWebSocket[] = []
for (const runner of runners) {
  for (const resource of runner.context.resources) {
    const client = wireSocketOf(resource)
    if (client instanceof LeanWebSocket && client.readyState === 1) engineClients.push(client)
  }
}
const bareClients = bare.filter((client) => client.readyState === 1)
// A pass over fewer clients than asked measures something else: refuse rather than report it.
if (engineClients.length < vus || bareClients.length < vus) {
  process.stderr.write(
    `error: ${String(engineClients.length)} engine VUs and ${String(bareClients.length)} bare clients open of ${String(vus)}\n`,
  )
  server.kill('SIGTERM')
  process.exit(1)
}

/** Reads the next `polluteDoubles` of the pollution array (one load per cache line). */
function pollute(): void {
  if (polluteDoubles === 0) return
  if (pollutionAt + polluteDoubles > pollution.length) pollutionAt = 0
  let sum = 0
  for (let i = pollutionAt; i < pollutionAt + polluteDoubles; i += 8) sum += pollution[i] ?? 0
  pollutionAt += polluteDoubles
  pollutionSum += sum
}

function timeOnce(clients: readonly LeanWebSocket[]): number {
  const started = process.hrtime.bigint()
  for (let round = 0; round < rounds; round++) {
    for (const client of clients) {
      pollute()
      client.received(frame, frame.length)
    }
  }
  return Number(process.hrtime.bigint() - started) / (rounds * clients.length)
}

/**
 * Heap bytes allocated per message: the growth of the used heap over a batch too small to
 * fill the young generation, median of several batches.
 */
function allocatedBytes(clients: readonly LeanWebSocket[]): number {
  const batch = Math.min(clients.length, 500)
  const samples: number[] = []
  for (let attempt = 0; attempt < 21; attempt++) {
    const before = getHeapStatistics().used_heap_size
    for (let i = 0; i < batch; i++) clients[i]?.received(frame, frame.length)
    samples.push((getHeapStatistics().used_heap_size - before) / batch)
  }
  // A batch with a scavenge in it shrinks or barely grows: most batches have none.
  return median(samples)
}

// Warm both paths before timing.
timeOnce(engineClients)
timeOnce(bareClients)
// Engine and bare passes alternate, so a noisy neighbour hits both; medians of each.
const engineRuns: number[] = []
const bareRuns: number[] = []
const differences: number[] = []
for (let i = 0; i < repeat; i++) {
  const engine = timeOnce(engineClients)
  // Let the thread's housekeeping (timers, metric flushes, GC) run between passes.
  await sleep(20)
  const bareRun = timeOnce(bareClients)
  await sleep(20)
  engineRuns.push(engine)
  bareRuns.push(bareRun)
  differences.push(engine - bareRun)
}
const report = {
  vus,
  connected: { engine: engineClients.length, bare: bareClients.length },
  frameBytes: frame.length,
  rounds,
  repeat,
  pollutionKbPerMessage: polluteKb,
  /** Medians over the passes; with --pollute both include the pollution's own time. */
  engineNsPerMessage: median(engineRuns),
  bareLeanNsPerMessage: median(bareRuns),
  /** Median of per-pass differences: what the engine adds per message. */
  engineMinusBareNs: median(differences),
  engineHeapBytesPerMessage: allocatedBytes(engineClients),
  bareLeanHeapBytesPerMessage: allocatedBytes(bareClients),
  checksum: pollutionSum,
}
process.stdout.write(`${JSON.stringify(report)}\n`)
if (args.out !== undefined) {
  const file = { measuredAt: new Date().toISOString(), node: process.version, ...report }
  writeFileSync(args.out, `${JSON.stringify(file, null, 2)}\n`)
}
if (counted === 0) throw new Error('the bare clients counted no message')

clearInterval(flusher)
for (const runner of runners) runner.stop(0)
for (const client of bare) client.terminate()
server.kill('SIGTERM')
setTimeout(() => process.exit(0), 500).unref()

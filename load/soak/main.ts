/**
 * Soak benchmark (not a unit test): many WebSocket clients held for minutes while a share
 * of them churns (disconnects and resumes with its cursor every second). It answers two
 * questions of issue 5: does the server's RSS stay flat, and does any client lose a frame?
 *
 *   npx node load/soak/main.ts --clients 5000 --minutes 10 --churn 2%/s [--out FILE]
 *
 * The server runs as its own process (`servers/main.ts serve --port 0`) under
 * `--inspect=127.0.0.1:0`; its RSS is read from /proc and its /metrics every `--sample`
 * seconds, and every `--heap-sample` seconds the harness forces a full GC over the DevTools
 * Protocol and reads the heap that survived. A heap snapshot is taken at the end, and after the
 * ramp too with `--start-snapshot` (`--snapshot-dir`). Each client checks every `seq` it receives: a jump
 * is frames lost, a repeat is a duplicate, a `reset` is counted apart. Results go to a
 * JSON file (default load/soak/last-run.json) and a one-screen summary.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { InspectorClient, inspectorUrlFrom } from './inspector-client.ts'
import { linearFit } from './linear-fit.ts'
import { processUsage } from '../kit/process-sampler.ts'
import { startServerProcess } from '../kit/server-process.ts'
import { readSample } from '../kit/prometheus-text.ts'
import { readFeedHeader } from '../lib/feed-header.ts'
import { flagNumber, parseToolArgs, usageError } from '../kit/tool-args.ts'

/** Limits that keep a typo from running for hours or opening more sockets than fds. */
const BOUNDS = Object.freeze({ maxClients: 15_000, maxMinutes: 60 })

const USAGE =
  "npx node load/soak/main.ts [flags]: many WebSocket clients held for minutes with churn; the server's RSS and every lost frame"
const { values: args } = parseToolArgs(USAGE, {
  options: {
    clients: { type: 'string', default: '5000' },
    minutes: { type: 'string', default: '10' },
    churn: { type: 'string', default: '2%/s' },
    sample: { type: 'string', default: '10' },
    rate: { type: 'string', default: '10' },
    stable: { type: 'string', default: '50%' },
    out: { type: 'string', default: join(import.meta.dirname, 'last-run.json') },
    'heap-sample': { type: 'string', default: '30' },
    'snapshot-dir': { type: 'string' },
    'start-snapshot': { type: 'boolean', default: false },
  },
})

/** A positive number flag up to `max`; a usage error otherwise. */
const positive = (name: string, text: string, max: number): number =>
  flagNumber(`--${name}`, text, { above: 0, max })
const clientCount = Math.floor(positive('clients', args.clients, BOUNDS.maxClients))
const minutes = positive('minutes', args.minutes, BOUNDS.maxMinutes)
const churnMatch = /^(\d+(?:\.\d+)?)%\/s$/.exec(args.churn)
if (churnMatch?.[1] === undefined) {
  usageError(`--churn must look like 2%/s, got ${args.churn}`)
}
const churnPerS = Number(churnMatch[1]) / 100
const sampleS = positive('sample', args.sample, 600)
const rate = positive('rate', args.rate, 100)
const stableMatch = /^(\d+(?:\.\d+)?)%$/.exec(args.stable)
if (stableMatch?.[1] === undefined || Number(stableMatch[1]) >= 100) {
  usageError(`--stable must be a share below 100% like 50%, got ${args.stable}`)
}
const stableShare = Number(stableMatch[1]) / 100
const heapSampleS = positive('heap-sample', args['heap-sample'], 600)
// Snapshots are tens of MiB each: outside the checkout unless asked, never committed.
const snapshotDir =
  args['snapshot-dir'] ??
  join(tmpdir(), `realtime-lab-soak-${new Date().toISOString().replace(/[:.]/g, '-')}`)
mkdirSync(snapshotDir, { recursive: true })

/**
 * Growth of heap-after-GC over the churn phase, from the fitted slope, below which the run
 * is called flat: 10 % of the heap after the ramp.
 */
const FLAT_GROWTH_SHARE = 0.1

/** What one logical client saw across all its connections. */
interface ClientRecord {
  ws: WebSocket | null
  epoch: string | null
  lastSeq: number
  frames: number
  lost: number
  duplicates: number
  resets: number
  reconnects: number
  slowCloses: number
  churned: boolean
  connecting: boolean
}

function onMessage(client: ClientRecord, data: Buffer): void {
  // The head alone ({"type":…,"epoch":…,"seq":…,"t":…), not each 10 Hz message in full.
  const header = readFeedHeader(data.toString('latin1', 0, 96))
  if (header === null) return
  const { type, epoch, seq } = header
  if (type === 'reset') {
    client.resets++
    return
  }
  if (type === 'snapshot') {
    client.epoch = epoch
    client.lastSeq = seq
    return
  }
  if (type !== 'frame') return
  client.frames++
  if (client.lastSeq >= 0) {
    if (seq <= client.lastSeq) client.duplicates++
    else client.lost += seq - client.lastSeq - 1
  }
  client.lastSeq = Math.max(client.lastSeq, seq)
}

function connect(wsUrl: string, client: ClientRecord): void {
  const query =
    client.epoch === null ? '' : `?epoch=${client.epoch}&since=${String(client.lastSeq)}`
  const ws = new WebSocket(`${wsUrl}${query}`)
  client.ws = ws
  client.connecting = true
  ws.on('open', () => {
    client.connecting = false
  })
  ws.on('message', (data: Buffer) => {
    onMessage(client, data)
  })
  ws.on('error', () => undefined)
  ws.on('close', (code: number) => {
    client.connecting = false
    if (client.ws !== ws) return
    client.ws = null
    // A slow-consumer close (4008) resumes like churn: the cursor covers the gap.
    if (code === 4008) client.slowCloses++
    if (!stopping) {
      client.reconnects++
      setTimeout(() => {
        if (!stopping) connect(wsUrl, client)
      }, 200)
    }
  })
}

/** The server's /metrics figures the soak keeps beside RSS. */
async function scrapeMetrics(
  url: string,
): Promise<{ heapUsed: number | null; external: number | null; activeHandles: number | null }> {
  try {
    const text = await (
      await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })
    ).text()
    return {
      heapUsed: readSample(text, 'nodejs_heap_size_used_bytes'),
      external: readSample(text, 'nodejs_external_memory_bytes'),
      activeHandles: readSample(text, 'nodejs_active_handles_total'),
    }
  } catch {
    // A scrape that times out under load is a missing point, not a failed run.
    return { heapUsed: null, external: null, activeHandles: null }
  }
}

let stopping = false
const serverProcess = await startServerProcess({
  nodeArgs: ['--inspect=127.0.0.1:0'],
  args: ['--rate', String(rate)],
  startTimeoutMs: 20_000,
})
const server = serverProcess.child
const pid = serverProcess.pid
const httpUrl = serverProcess.url
// Node prints the inspector's URL on stderr before the server's banner.
const inspectorUrl = inspectorUrlFrom(serverProcess.output())
if (inspectorUrl === null)
  throw new Error(`server printed no inspector URL: ${serverProcess.output()}`)
const inspector = await InspectorClient.connect(inspectorUrl)
const wsUrl = `${httpUrl.replace(/^http/, 'ws')}/ws`
const rssBeforeClients = processUsage(pid).rssBytes
const heapBeforeClients = await inspector.heapAfterGc()
console.log(`soak: server ${httpUrl} pid ${String(pid)}; opening ${String(clientCount)} clients`)

const clients: ClientRecord[] = Array.from({ length: clientCount }, () => ({
  ws: null,
  epoch: null,
  lastSeq: -1,
  frames: 0,
  lost: 0,
  duplicates: 0,
  resets: 0,
  reconnects: 0,
  slowCloses: 0,
  churned: false,
  connecting: false,
}))
// Ramp: 100 connections per 50 ms so the accept queue never overflows.
for (let i = 0; i < clients.length; i += 100) {
  for (const client of clients.slice(i, i + 100)) connect(wsUrl, client)
  await new Promise((resolve) => setTimeout(resolve, 50))
}
for (let i = 0; i < 600 && clients.some((c) => c.connecting); i++) {
  await new Promise((resolve) => setTimeout(resolve, 100))
}
const open = clients.filter((c) => c.ws?.readyState === WebSocket.OPEN).length
// Heap after a full GC first, then RSS (the GC may return pages), then the snapshot.
const heapAfterRamp = await inspector.heapAfterGc()
const rssAfterRamp = processUsage(pid).rssBytes
// Off by default: the snapshot leaves its freed malloc memory in the server's RSS (see
// runs/200-clients-30s-start-snapshot.json, rss.startBytes vs samples[0].rss), which hides
// the RSS trend, and it
// pauses the server for seconds. Heap after GC, sampled all along, is what shows a leak;
// take the start snapshot (for heap-snapshot-diff.ts) when that series grows.
const startSnapshot = args['start-snapshot'] ? join(snapshotDir, 'start.heapsnapshot') : null
const startSnapshotBytes =
  startSnapshot === null ? null : await inspector.takeHeapSnapshot(startSnapshot)
console.log(
  `soak: ${String(open)} open; heap after GC ${(heapAfterRamp.usedSize / 2 ** 20).toFixed(1)} MiB; ` +
    `start snapshot ${startSnapshot ?? 'off'}; churning ${args.churn} for ${String(minutes)} min`,
)

const firstChurnable = Math.floor(clients.length * stableShare)
const samples: {
  s: number
  rss: number
  open: number
  heapUsed: number | null
  external: number | null
  activeHandles: number | null
}[] = []
const heapSamples: { s: number; usedAfterGc: number; totalAfterGc: number; rssAfterGc: number }[] =
  []
const startedMs = Date.now()
const endMs = startedMs + minutes * 60_000
let nextSampleMs = startedMs
let nextHeapSampleMs = startedMs
let churnEvents = 0
while (Date.now() < endMs) {
  // Churn: a random share terminate without a goodbye; the close handler resumes them.
  // The first `--stable` share never churns, so "clients that stayed" is a real group
  // however long the run; the churn rate is a share of all clients, drawn from the rest.
  const toChurn = Math.round(clients.length * churnPerS)
  for (let i = 0; i < toChurn; i++) {
    const client =
      clients[firstChurnable + Math.floor(Math.random() * (clients.length - firstChurnable))]
    if (client?.ws?.readyState !== WebSocket.OPEN) continue
    client.churned = true
    churnEvents++
    client.ws.terminate()
  }
  if (Date.now() >= nextSampleMs) {
    const sample = {
      s: Math.round((Date.now() - startedMs) / 1000),
      rss: processUsage(pid).rssBytes,
      open: clients.filter((c) => c.ws?.readyState === WebSocket.OPEN).length,
      ...(await scrapeMetrics(httpUrl)),
    }
    samples.push(sample)
    console.log(
      `soak: t=${String(sample.s)}s rss=${(sample.rss / 2 ** 20).toFixed(1)} MiB open=${String(sample.open)}`,
    )
    nextSampleMs += sampleS * 1000
  }
  if (Date.now() >= nextHeapSampleMs) {
    const s = Math.round((Date.now() - startedMs) / 1000)
    const heap = await inspector.heapAfterGc()
    const heapSample = {
      s,
      usedAfterGc: heap.usedSize,
      totalAfterGc: heap.totalSize,
      rssAfterGc: processUsage(pid).rssBytes,
    }
    heapSamples.push(heapSample)
    console.log(
      `soak: t=${String(s)}s heap after GC=${(heap.usedSize / 2 ** 20).toFixed(1)} MiB rss=${(heapSample.rssAfterGc / 2 ** 20).toFixed(1)} MiB`,
    )
    nextHeapSampleMs += heapSampleS * 1000
  }
  await new Promise((resolve) => setTimeout(resolve, 1000))
}
// Let in-flight resumes land before the final count.
await new Promise((resolve) => setTimeout(resolve, 2000))
const rssEnd = processUsage(pid).rssBytes
const heapEnd = await inspector.heapAfterGc()
const rssEndAfterGc = processUsage(pid).rssBytes
heapSamples.push({
  s: Math.round((Date.now() - startedMs) / 1000),
  usedAfterGc: heapEnd.usedSize,
  totalAfterGc: heapEnd.totalSize,
  rssAfterGc: rssEndAfterGc,
})
const endSnapshot = join(snapshotDir, 'end.heapsnapshot')
const endSnapshotBytes = await inspector.takeHeapSnapshot(endSnapshot)
stopping = true
for (const client of clients) client.ws?.terminate()
// Close the session first: a process with a debugger attached waits for it on exit.
inspector.close()
server.kill('SIGTERM')

const perMinute = (
  points: { s: number; bytes: number }[],
): { bytesPerMinute: number; r2: number } => {
  const fit = linearFit(points.map((p) => ({ x: p.s / 60, y: p.bytes })))
  return { bytesPerMinute: fit.slope, r2: fit.r2 }
}
const heapFit = perMinute(heapSamples.map((h) => ({ s: h.s, bytes: h.usedAfterGc })))
const rssFit = perMinute(samples.map((h) => ({ s: h.s, bytes: h.rss })))
const fittedHeapGrowthShare = (heapFit.bytesPerMinute * minutes) / heapAfterRamp.usedSize

const sum = (list: ClientRecord[], key: 'frames' | 'lost' | 'duplicates' | 'resets'): number =>
  list.reduce((total, c) => total + c[key], 0)
const stayed = clients.filter((c) => !c.churned && c.reconnects === 0)
const churned = clients.filter((c) => c.churned || c.reconnects > 0)
const result = {
  finishedAt: new Date().toISOString(),
  parameters: {
    clients: clientCount,
    minutes,
    churn: args.churn,
    stable: args.stable,
    sampleS,
    heapSampleS,
    rate,
  },
  verdict: {
    heapAfterGc: fittedHeapGrowthShare < FLAT_GROWTH_SHARE ? 'flat' : 'grows',
    rule: `fitted heap-after-GC growth over the churn phase (slope × minutes) below ${String(FLAT_GROWTH_SHARE * 100)} % of the heap after GC after the ramp`,
    fittedHeapGrowthShare,
  },
  heapAfterGc: {
    beforeClientsBytes: heapBeforeClients.usedSize,
    startBytes: heapAfterRamp.usedSize,
    endBytes: heapEnd.usedSize,
    maxBytes: Math.max(...heapSamples.map((h) => h.usedAfterGc), heapAfterRamp.usedSize),
    endOverStart: heapEnd.usedSize / heapAfterRamp.usedSize,
    slopeBytesPerMinute: heapFit.bytesPerMinute,
    r2: heapFit.r2,
  },
  rss: {
    beforeClientsBytes: rssBeforeClients,
    startBytes: rssAfterRamp,
    endBytes: rssEnd,
    maxBytes: Math.max(rssAfterRamp, ...samples.map((s) => s.rss)),
    endOverStart: rssEnd / rssAfterRamp,
    // The start snapshot leaves freed malloc memory in the process, so the fair RSS baseline
    // for the end figure is the first sample after it (both ends then carry that residue).
    afterStartSnapshotBytes: startSnapshot === null ? null : (samples[0]?.rss ?? null),
    endOverAfterStartSnapshot:
      startSnapshot === null || samples[0] === undefined ? null : rssEnd / samples[0].rss,
    endAfterGcBytes: rssEndAfterGc,
    slopeBytesPerMinute: rssFit.bytesPerMinute,
    r2: rssFit.r2,
  },
  snapshots: {
    start: { file: startSnapshot, bytes: startSnapshotBytes },
    end: { file: endSnapshot, bytes: endSnapshotBytes },
  },
  connections: { openAfterRamp: open, churnEvents },
  stayed: {
    clients: stayed.length,
    frames: sum(stayed, 'frames'),
    lost: sum(stayed, 'lost'),
    duplicates: sum(stayed, 'duplicates'),
    resets: sum(stayed, 'resets'),
  },
  churned: {
    clients: churned.length,
    reconnects: churned.reduce((t, c) => t + c.reconnects, 0),
    slowCloses: churned.reduce((t, c) => t + c.slowCloses, 0),
    frames: sum(churned, 'frames'),
    lost: sum(churned, 'lost'),
    duplicates: sum(churned, 'duplicates'),
    resets: sum(churned, 'resets'),
  },
  samples,
  heapSamples,
}
writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`)
console.log(
  `soak: RSS ${(rssAfterRamp / 2 ** 20).toFixed(1)} → ${(rssEnd / 2 ** 20).toFixed(1)} MiB; ` +
    `heap after GC ${(heapAfterRamp.usedSize / 2 ** 20).toFixed(1)} → ${(heapEnd.usedSize / 2 ** 20).toFixed(1)} MiB ` +
    `(${(heapFit.bytesPerMinute / 2 ** 20).toFixed(2)} MiB/min, ${result.verdict.heapAfterGc}); ` +
    `stayed ${String(stayed.length)} clients lost ${String(result.stayed.lost)} frames; ` +
    `churned ${String(churned.length)} clients (${String(result.churned.reconnects)} reconnects) lost ${String(result.churned.lost)}; written ${args.out}`,
)
process.exit(result.stayed.lost + result.churned.lost + result.stayed.duplicates > 0 ? 1 : 0)

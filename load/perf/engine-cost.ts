/**
 * Benchmark (not a test): what the built-in engine costs per VU and per received message
 * when it runs load/scenarios/websocket.ts against a real server.
 *
 *   npx node load/perf/engine-cost.ts [--clients 1000,5000] [--ramp 10] [--hold 30] [--settle 10] [--repeat N] [--workers N] [--before DIR] [--out FILE] [--readme]
 *   npx node load/perf/engine-cost.ts --table-from load/perf/last-run.json[,OTHER.json…]   (README table only)
 *
 * With several files the first fills the table and the others follow it in a smaller table
 * of CPU per message (runs of other code or other moments, to compare by their ratios).
 *
 * For each client count it starts the server (servers/main.ts serve) as its own process,
 * then measures in the steady window (from `--settle` seconds after the ramp to 1 s before
 * the end, from /proc of the measured process):
 * - the engine: RSS, CPU time, and `ws_msgs_received` from its `--out series` file;
 * - a baseline: the same number of bare `ws` clients (raw-ws-clients.ts) doing nothing but
 *   decoding each message; RSS per VU/client is (peak RSS − peak RSS of a 2-VU/2-client run
 *   of the same kind) / (N − 2), so both sides count only what grows with connections (see
 *   REFERENCE_VUS).
 * - a second baseline: the same number of bare lean clients (raw-lean-clients.ts, the engine's
 *   own WebSocket client without the engine), counted the same way.
 * It prints and writes (default load/perf/last-run.json) RSS per VU, CPU µs per message,
 * and each as a ratio to the bare-ws baseline.
 *
 * With `--before DIR` (another checkout's root, e.g. a `git worktree` of the commit before a
 * hot-path change with `node_modules` linked in) that checkout's engine runs beside this one in
 * every repeat, back to back, the order alternating by repeat; the result's `engineBefore`
 * holds each pair and the median ratio of this engine's CPU per message to the other's.
 *
 * With `--repeat N` the three measured runs (engine, bare ws, bare lean) are made N times in
 * turn for each client count: on a shared machine the same code's CPU per message moves by
 * ±15 % between runs, more than the changes being measured. The row kept is the repeat whose
 * engine figure is the median (with its own baselines, measured beside it); every repeat's
 * figures are kept under `repeats`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { measureWindow, type UsageWindow } from '../kit/process-sampler.ts'
import { counterSum, gaugeMax, parseSeries } from '../kit/series.ts'
import { countOf, startBareClients } from '../kit/bare-clients.ts'
import { engineCheckout, spawnEngineRun } from '../kit/engine-process.ts'
import { median } from '../kit/percentile.ts'
import { writeMarkedBlock } from '../kit/readme-block.ts'
import { startServerProcess } from '../kit/server-process.ts'
import { flagNumber, flagNumbers, parseToolArgs, usageError } from '../kit/tool-args.ts'

const ROOT = join(import.meta.dirname, '../..')
const USAGE =
  'npx node load/perf/engine-cost.ts [flags]: the engine\'s CPU per message and RSS per VU on the WebSocket scenario, against bare clients (load/README.md, "Measuring the engine itself")'
const { values: args } = parseToolArgs(USAGE, {
  options: {
    clients: { type: 'string', default: '1000,5000' },
    ramp: { type: 'string', default: '10' },
    hold: { type: 'string', default: '30' },
    /**
     * Seconds after the ramp before the window opens. The first seconds after startup and
     * ramp are not steady: V8 runs major GCs on every thread then (the ramp's garbage, and the
     * memory reducer shrinking the heaps once allocation slows), with its GC helper threads
     * busy, a one-off cost that a window opening 2 s after the ramp charged to its messages.
     */
    settle: { type: 'string', default: '10' },
    /** Measured runs per client count; the median one is reported. */
    repeat: { type: 'string', default: '1' },
    out: { type: 'string', default: join(import.meta.dirname, 'last-run.json') },
    /**
     * Another checkout's root (a `git worktree` with `node_modules` linked in): its engine runs
     * beside this one in every repeat, back to back, the order alternating by repeat.
     */
    before: { type: 'string' },
    /** The engine's `--workers` (default: the engine's own, one per core). */
    workers: { type: 'string' },
    /** Also rewrite the measured-cost table in load/README.md from this run. */
    readme: { type: 'boolean', default: false },
    /** Run nothing: rewrite the README table from this results file (comma-separated: more runs below it). */
    'table-from': { type: 'string' },
  },
})
/**
 * VUs (and bare clients) of the reference run that per-VU RSS is counted from. Two, not one:
 * the engine starts one worker thread per core but never more threads than VUs, so a 1-VU
 * run has one worker and the difference to an N-VU run would charge a whole thread (isolate,
 * heap, compiled script) to the VUs. With 2 VUs both runs have the machine's 2 workers.
 */
const REFERENCE_VUS = Math.min(2, cpus().length)
const rampS = flagNumber('--ramp', args.ramp, { min: 0 })
const holdS = flagNumber('--hold', args.hold, { above: 0 })
const settleS = flagNumber('--settle', args.settle, { min: 0 })
if (settleS >= holdS - 2) {
  usageError(`--settle must leave at least 2 s of --hold (${String(holdS)} s), got ${args.settle}`)
}
if (args.before !== undefined) engineCheckout('--before', args.before)
const repeat = flagNumber('--repeat', args.repeat, { integer: true, min: 1 })
const workers =
  args.workers === undefined
    ? undefined
    : flagNumber('--workers', args.workers, { integer: true, min: 1 })
const clientCounts = flagNumbers('--clients', args.clients, { integer: true, above: REFERENCE_VUS })

/** The measured window (the kit's), with its ends in seconds for the per-second series. */
interface SteadyWindow extends UsageWindow {
  fromS: number
  toS: number
}

/**
 * {@link measureWindow} over the steady window of a run started at `startedMs` (from
 * --settle s after the ramp to 1 s before the end), with the window's ends in seconds.
 */
async function measure(pid: number, serverPid: number, startedMs: number): Promise<SteadyWindow> {
  const window = await measureWindow(
    pid,
    serverPid,
    startedMs + (rampS + settleS) * 1000,
    startedMs + (rampS + holdS - 1) * 1000,
  )
  return { ...window, fromS: window.fromMs / 1000, toS: window.toMs / 1000 }
}

/** One engine run's figures in its steady window. */
interface EngineRunFigures {
  window: SteadyWindow
  messages: number
  exitCode: number | string
  loopDelayP99Max: number
}

async function engineRun(
  root: string,
  url: string,
  serverPid: number,
  vus: number,
): Promise<EngineRunFigures> {
  const series = join(tmpdir(), `engine-cost-${vus}-${Date.now()}.ndjson`)
  const started = Date.now()
  const child = spawnEngineRun({
    root,
    scenario: 'websocket',
    env: {
      BASE_URL: url,
      VUS: String(vus),
      RAMP: `${rampS}s`,
      HOLD: `${holdS}s`,
      LATENCY_P95: '100000',
    },
    series,
    flags: args.workers === undefined ? [] : ['--workers', args.workers],
  })
  const window = await measure(child.pid, serverPid, started)
  const exitCode = await child.exited
  // A series line for second t covers [t, t+1): count the whole seconds inside the window.
  const fromS = Math.ceil(window.fromS)
  const toS = Math.floor(window.toS)
  const lines = parseSeries(readFileSync(series, 'utf8'))
  const messages = counterSum(lines, 'ws_msgs_received', fromS, toS)
  const loopDelayP99Max = gaugeMax(lines, 'engine_event_loop_delay_p99', fromS, toS) ?? 0
  const seconds = toS - fromS
  // Scale CPU to the whole seconds the message count covers.
  return {
    window: {
      ...window,
      cpuS: (window.cpuS * seconds) / (window.toS - window.fromS),
      systemCpuS: (window.systemCpuS * seconds) / (window.toS - window.fromS),
    },
    messages,
    exitCode,
    loopDelayP99Max,
  }
}

async function rawRun(
  script: 'raw-ws-clients.ts' | 'raw-lean-clients.ts',
  url: string,
  serverPid: number,
  clients: number,
): Promise<{ window: SteadyWindow; messages: number }> {
  const { child, nearest } = startBareClients(join(import.meta.dirname, script), [
    `${url.replace(/^http/, 'ws')}/ws`,
    String(clients),
    String(rampS + holdS),
    // Open over the same ramp as the engine's ramping-vus (all at once overflows the backlog).
    String(rampS),
  ])
  const started = Date.now()
  const window = await measure(child.pid, serverPid, started)
  const exit = await child.exited
  if (exit !== 0) throw new Error(`bare clients exited ${String(exit)}:\n${child.output()}`)
  const from = nearest(window.fromMs)
  const to = nearest(window.toMs)
  const seconds = (to.t - from.t) / 1000
  return {
    window: {
      ...window,
      cpuS: seconds > 0 ? (window.cpuS * seconds) / (window.toS - window.fromS) : window.cpuS,
      systemCpuS:
        seconds > 0
          ? (window.systemCpuS * seconds) / (window.toS - window.fromS)
          : window.systemCpuS,
    },
    messages: countOf(to, 'messages') - countOf(from, 'messages'),
  }
}

interface TableRow {
  clients: number
  engine: {
    messages: number
    cpuS: number
    systemCpuS: number
    cpuUsPerMessage: number
    rssBytesPerVu: number
    expectedMessages: number
  }
  bareWsBaseline: { cpuUsPerMessage: number; rssBytesPerClient: number }
  bareLeanBaseline: {
    messages: number
    cpuS: number
    systemCpuS: number
    cpuUsPerMessage: number
    rssBytesPerClient: number
  }
  ratios: { cpuPerMessageVsBareWs: number; rssPerVuVsBareWsPerClient: number }
  /** Every repeat of `--repeat N` (absent in runs made before it existed). */
  repeats?: RepeatFigures[]
}

/** CPU µs per message of one repeat's three runs. */
interface RepeatFigures {
  engine: number
  engineUser: number
  engineSystem: number
  bareLean: number
  bareWs: number
}

/** User and system CPU µs per message of one side of a row. */
function split(side: { messages: number; cpuS: number; systemCpuS: number }): {
  user: number
  system: number
} {
  const messages = Math.max(1, side.messages)
  return {
    user: ((side.cpuS - side.systemCpuS) * 1e6) / messages,
    system: (side.systemCpuS * 1e6) / messages,
  }
}

/**
 * The README's table of a run: CPU per message split into user and system time beside the
 * bare lean clients (the floor) and the bare `ws` clients of the same run, and RSS per VU.
 */
function readmeTable(file: string, measuredAt: string, rows: readonly TableRow[]): string {
  const lines = [
    `Last run (\`${file}\`, ${measuredAt}):`,
    '',
    '| clients | engine CPU µs/message (user + system) | bare lean µs/message (user + system) | engine ÷ bare lean: total, user, system | bare ws µs/message | engine ÷ bare ws | engine RSS KB/VU | bare ws KB/client | ratio | bare lean KB/client | engine messages / feed rate |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const row of rows) {
    const engine = split(row.engine)
    const lean = split(row.bareLeanBaseline)
    const f = (value: number): string => value.toFixed(1)
    const x = (value: number): string => `×${value.toFixed(2)}`
    lines.push(
      `| ${String(row.clients)} | ${f(row.engine.cpuUsPerMessage)} (${f(engine.user)} + ${f(engine.system)}) | ` +
        `${f(row.bareLeanBaseline.cpuUsPerMessage)} (${f(lean.user)} + ${f(lean.system)}) | ` +
        `${x(row.engine.cpuUsPerMessage / row.bareLeanBaseline.cpuUsPerMessage)}, ${x(engine.user / lean.user)}, ${x(engine.system / lean.system)} | ` +
        `${f(row.bareWsBaseline.cpuUsPerMessage)} | ${x(row.ratios.cpuPerMessageVsBareWs)} | ` +
        `${f(row.engine.rssBytesPerVu / 1024)} | ${f(row.bareWsBaseline.rssBytesPerClient / 1024)} | ${x(row.ratios.rssPerVuVsBareWsPerClient)} | ${f(row.bareLeanBaseline.rssBytesPerClient / 1024)} | ` +
        `${String(row.engine.messages)} / ${String(row.engine.expectedMessages)} |`,
    )
  }
  const repeated = rows.filter((row) => (row.repeats?.length ?? 0) > 1)
  if (repeated.length > 0) {
    lines.push(
      '',
      `Each row is the median of ${String(repeated[0]?.repeats?.length)} repeats by the engine's figure, beside the baselines measured with it. All repeats, engine (user + system) / bare lean / bare ws CPU µs per message:`,
      '',
    )
    for (const row of repeated) {
      const runs = (row.repeats ?? []).map(
        (r) =>
          `${r.engine.toFixed(1)} (${r.engineUser.toFixed(1)} + ${r.engineSystem.toFixed(1)}) / ${r.bareLean.toFixed(1)} / ${r.bareWs.toFixed(1)}`,
      )
      lines.push(`- ${String(row.clients)} clients: ${runs.join('; ')}`)
    }
  }
  return `${lines.join('\n')}\n`
}

interface SavedRun {
  file: string
  measuredAt: string
  results: TableRow[]
}

/** The smaller table of other runs: CPU per message and its ratios to the same run's floors. */
function otherRunsTable(runs: readonly SavedRun[]): string {
  const lines = [
    "Other runs, CPU µs per message (user + system) and the engine ÷ the same run's bare clients:",
    '',
    '| run | clients | engine | bare lean | engine ÷ bare lean: total, user | engine ÷ bare ws |',
    '|---|---:|---:|---:|---:|---:|',
  ]
  for (const run of runs) {
    for (const row of run.results) {
      const engine = split(row.engine)
      const lean = split(row.bareLeanBaseline)
      const f = (value: number): string => value.toFixed(1)
      const x = (value: number): string => `×${value.toFixed(2)}`
      lines.push(
        `| \`${relative(ROOT, run.file)}\` (${run.measuredAt}) | ${String(row.clients)} | ${f(row.engine.cpuUsPerMessage)} (${f(engine.user)} + ${f(engine.system)}) | ` +
          `${f(row.bareLeanBaseline.cpuUsPerMessage)} (${f(lean.user)} + ${f(lean.system)}) | ` +
          `${x(row.engine.cpuUsPerMessage / row.bareLeanBaseline.cpuUsPerMessage)}, ${x(engine.user / lean.user)} | ${x(row.ratios.cpuPerMessageVsBareWs)} |`,
      )
    }
  }
  return `${lines.join('\n')}\n`
}

/** Rewrites the block between README_BEGIN and README_END in load/README.md. */
function writeReadmeTable(
  file: string,
  measuredAt: string,
  rows: readonly TableRow[],
  others: readonly SavedRun[] = [],
): void {
  const readme = join(ROOT, 'load/README.md')
  const tables =
    readmeTable(relative(ROOT, file), measuredAt, rows) +
    (others.length > 0 ? `\n${otherRunsTable(others)}` : '')
  writeMarkedBlock(readme, 'engine-cost', tables)
  process.stdout.write(`updated the measured-cost table in ${readme}\n`)
}

const tableFrom = args['table-from']
if (tableFrom !== undefined) {
  const [first, ...others] = tableFrom.split(',').map((file): SavedRun => {
    if (!existsSync(file)) usageError(`--table-from ${file}: no such results file`)
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Omit<SavedRun, 'file'>
    return { file: resolve(file), measuredAt: saved.measuredAt, results: saved.results }
  })
  if (first === undefined) usageError('--table-from needs a results file')
  writeReadmeTable(first.file, first.measuredAt, first.results, others)
  process.exit(0)
}

/** RSS per client of a run: its peak above the reference run's, over the clients added. */
function bytesPerClient(
  run: { window: SteadyWindow },
  reference: { window: SteadyWindow },
  clients: number,
): number {
  return (run.window.peakRssBytes - reference.window.peakRssBytes) / (clients - REFERENCE_VUS)
}

/** CPU µs per message of one measured run (engine or bare clients). */
function usPerMessage(run: { window: SteadyWindow; messages: number }): number {
  return (run.window.cpuS * 1e6) / Math.max(1, run.messages)
}

const results = []
for (const clients of clientCounts) {
  const serverProcess = await startServerProcess()
  const baseUrl = serverProcess.url
  try {
    const serverPid = serverProcess.pid
    const single = await engineRun(ROOT, baseUrl, serverPid, REFERENCE_VUS)
    const beforeSingle =
      args.before === undefined
        ? undefined
        : await engineRun(args.before, baseUrl, serverPid, REFERENCE_VUS)
    const rawSingle = await rawRun('raw-ws-clients.ts', baseUrl, serverPid, REFERENCE_VUS)
    const leanSingle = await rawRun('raw-lean-clients.ts', baseUrl, serverPid, REFERENCE_VUS)
    const repeats = []
    const beforePairs: { before: number; after: number; beforeFirst: boolean }[] = []
    for (let i = 0; i < repeat; i++) {
      // With --before the two engines run back to back; odd repeats start with the other one.
      const beforeFirst = i % 2 === 1
      const other = async (): Promise<EngineRunFigures | undefined> =>
        args.before === undefined ? undefined : engineRun(args.before, baseUrl, serverPid, clients)
      const early = beforeFirst ? await other() : undefined
      const engine = await engineRun(ROOT, baseUrl, serverPid, clients)
      const before = early ?? (beforeFirst ? undefined : await other())
      if (before !== undefined)
        beforePairs.push({ before: usPerMessage(before), after: usPerMessage(engine), beforeFirst })
      const raw = await rawRun('raw-ws-clients.ts', baseUrl, serverPid, clients)
      const lean = await rawRun('raw-lean-clients.ts', baseUrl, serverPid, clients)
      repeats.push({ engine, raw, lean, before })
      if (repeat > 1) {
        process.stdout.write(
          `${clients} VUs, repeat ${i + 1}/${repeat}: engine ${usPerMessage(engine).toFixed(2)} µs CPU/message, bare lean ${usPerMessage(lean).toFixed(2)}, bare ws ${usPerMessage(raw).toFixed(2)}\n`,
        )
      }
    }
    // The median repeat by the engine's figure (the lower middle one for an even count).
    const byEngine = [...repeats].sort((a, b) => usPerMessage(a.engine) - usPerMessage(b.engine))
    const chosen = byEngine[Math.floor((byEngine.length - 1) / 2)]
    if (chosen === undefined) throw new Error('no measured run')
    const { engine, raw, lean } = chosen
    const leanUsPerMessage = usPerMessage(lean)
    const leanBytesPerClient = bytesPerClient(lean, leanSingle, clients)
    const engineUsPerMessage = usPerMessage(engine)
    const rawUsPerMessage = usPerMessage(raw)
    const rawBytesPerClient = bytesPerClient(raw, rawSingle, clients)
    const engineBytesPerVu = bytesPerClient(engine, single, clients)
    const result = {
      clients,
      engine: {
        exitCode: engine.exitCode,
        messages: engine.messages,
        cpuS: engine.window.cpuS,
        systemCpuS: engine.window.systemCpuS,
        /** Server CPU seconds in the same window. */
        serverCpuS: engine.window.serverCpuS,
        peakRssBytes: engine.window.peakRssBytes,
        cpuUsPerMessage: engineUsPerMessage,
        rssBytesPerVu: engineBytesPerVu,
        /** Worst per-second p99 event-loop delay of the engine in the window, ms. */
        eventLoopDelayP99MaxMs: engine.loopDelayP99Max,
        /** Messages the clients should have received at the feed rate, for comparison. */
        expectedMessages:
          clients * 10 * (Math.floor(engine.window.toS) - Math.ceil(engine.window.fromS)),
      },
      /** The reference run that per-VU RSS is counted from (same worker threads). */
      engineReference: { vus: REFERENCE_VUS, peakRssBytes: single.window.peakRssBytes },
      bareWsBaseline: {
        messages: raw.messages,
        cpuS: raw.window.cpuS,
        systemCpuS: raw.window.systemCpuS,
        serverCpuS: raw.window.serverCpuS,
        peakRssBytes: raw.window.peakRssBytes,
        cpuUsPerMessage: rawUsPerMessage,
        referenceClients: REFERENCE_VUS,
        referencePeakRssBytes: rawSingle.window.peakRssBytes,
        rssBytesPerClient: rawBytesPerClient,
      },
      /** Bare lean clients (raw-lean-clients.ts): the engine's client without the engine. */
      bareLeanBaseline: {
        messages: lean.messages,
        cpuS: lean.window.cpuS,
        systemCpuS: lean.window.systemCpuS,
        serverCpuS: lean.window.serverCpuS,
        peakRssBytes: lean.window.peakRssBytes,
        cpuUsPerMessage: leanUsPerMessage,
        referencePeakRssBytes: leanSingle.window.peakRssBytes,
        rssBytesPerClient: leanBytesPerClient,
      },
      ratios: {
        cpuPerMessageVsBareWs: engineUsPerMessage / rawUsPerMessage,
        bareLeanVsBareWsCpuPerMessage: leanUsPerMessage / rawUsPerMessage,
        cpuPerMessageVsBareLean: engineUsPerMessage / leanUsPerMessage,
        rssPerVuVsBareWsPerClient: engineBytesPerVu / rawBytesPerClient,
      },
      ...(beforePairs.length === 0 || chosen.before === undefined || beforeSingle === undefined
        ? {}
        : {
            /** With --before: the other checkout's engine, run beside this one in every repeat. */
            engineBefore: {
              root: args.before,
              /** CPU µs per message of each repeat's two engines, and which ran first. */
              pairs: beforePairs,
              /** Median over the repeats of this engine's CPU per message ÷ the other's. */
              medianCpuPerMessageRatio: median(beforePairs.map((p) => p.after / p.before)),
              rssBytesPerVu: bytesPerClient(chosen.before, beforeSingle, clients),
            },
          }),
      repeats: repeats.map((run): RepeatFigures => {
        const { user, system } = split({
          messages: run.engine.messages,
          cpuS: run.engine.window.cpuS,
          systemCpuS: run.engine.window.systemCpuS,
        })
        return {
          engine: usPerMessage(run.engine),
          engineUser: user,
          engineSystem: system,
          bareLean: usPerMessage(run.lean),
          bareWs: usPerMessage(run.raw),
        }
      }),
    }
    results.push(result)
    if (result.engineBefore !== undefined)
      process.stdout.write(
        `${clients} VUs, against --before ${args.before ?? ''}: ${beforePairs.map((p) => `${p.after.toFixed(2)} vs ${p.before.toFixed(2)} µs (${p.beforeFirst ? 'before first' : 'this first'})`).join('; ')}; median ratio ×${result.engineBefore.medianCpuPerMessageRatio.toFixed(3)}\n`,
      )
    process.stdout.write(
      `${clients} VUs${repeat > 1 ? ` (median of ${repeat})` : ''}: engine ${engineUsPerMessage.toFixed(2)} µs CPU/message (bare ws ${rawUsPerMessage.toFixed(2)}, ×${result.ratios.cpuPerMessageVsBareWs.toFixed(2)}; bare lean ${leanUsPerMessage.toFixed(2)}, ${(leanBytesPerClient / 1024).toFixed(1)} KB/client), ` +
        `${(engineBytesPerVu / 1024).toFixed(1)} KB RSS/VU (bare ws ${(result.bareWsBaseline.rssBytesPerClient / 1024).toFixed(1)} KB/client), ` +
        `${engine.messages} messages in the window (feed rate: ${result.engine.expectedMessages}), engine loop delay p99 max ${engine.loopDelayP99Max.toFixed(1)} ms, server ${(engine.window.serverCpuS / (engine.window.toS - engine.window.fromS)).toFixed(2)} cores busy, exit ${engine.exitCode}\n`,
    )
  } finally {
    await serverProcess.stop()
  }
}
const report = {
  measuredAt: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? '', node: process.version },
  parameters: {
    rampS,
    holdS,
    settleS,
    scenario: 'load/scenarios/websocket.ts',
    serverRateHz: 10,
    engineWorkers: workers ?? 'default (one per core)',
    referenceVus: REFERENCE_VUS,
    repeat,
  },
  results,
}
writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`)
process.stdout.write(`written ${args.out}\n`)
if (args.readme) writeReadmeTable(args.out, report.measuredAt, results)

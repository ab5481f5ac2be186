/**
 * Benchmark (not a test): what the built-in engine's k6/http and k6/x/sse cost when they
 * run load/scenarios/{long-poll,short-poll,sse}.ts against a real server.
 *
 *   npx node load/perf/http-cost.ts [--clients 1000] [--ramp 10] [--hold 15]
 *       [--scenarios long-poll,short-poll,sse] [--before DIR [--before-first]] [--out FILE] [--readme]
 *   npx node load/perf/http-cost.ts --table-from load/perf/http-last-run.json   (README table only)
 *
 * For each scenario it starts a fresh server (servers/main.ts serve) as its own process and
 * measures, in the steady window (after ramp-up, from /proc):
 * - the engine: CPU per request (polls: `http_reqs`) or per message (SSE: `sse_event`),
 *   from its `--out series` file, and RSS per VU = (peak RSS − peak RSS of a 2-VU run) / (N − 2)
 *   (2, not 1: the engine starts no more worker threads than VUs, and a 1-VU reference
 *   would charge a whole thread to the VUs);
 * - a baseline measured in the same run: the same number of bare node:http clients doing the
 *   same requests (raw-http-clients.ts), the way the engine's clients worked before;
 * - with `--before DIR`: the engine of another checkout (e.g. a `git worktree` of the commit
 *   before the lean clients), same load, same server, right before or after this checkout's
 *   engine (the order alternates by scenario: drift inside a run must not favour one side);
 * - the server's CPU in each window, and the engine's feed_latency p99 and worst per-second
 *   event-loop delay p99, so a saturated generator shows as such.
 * Figures are reported as ratios to the bare baseline (the machine is shared: read ratios
 * before absolute figures) and written to load/perf/http-last-run.json (or `--out`);
 * `--readme` rewrites the table between the http-cost markers in load/README.md from this run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { createParser } from 'eventsource-parser'
import { format } from 'prettier'
import { measureWindow, type UsageWindow } from '../kit/process-sampler.ts'
import { counterSum, gaugeMax, parseSeries } from '../kit/series.ts'
import { countOf, startBareClients } from '../kit/bare-clients.ts'
import { engineCheckout, spawnEngineRun } from '../kit/engine-process.ts'
import { writeMarkedBlock } from '../kit/readme-block.ts'
import { startServerProcess } from '../kit/server-process.ts'
import { flagNumber, parseToolArgs, usageError } from '../kit/tool-args.ts'

const ROOT = join(import.meta.dirname, '../..')
const USAGE =
  "npx node load/perf/http-cost.ts [flags]: the engine's CPU per request or SSE message and RSS per VU on the poll and SSE scenarios, against bare clients"
const { values: args } = parseToolArgs(USAGE, {
  options: {
    clients: { type: 'string', default: '1000' },
    ramp: { type: 'string', default: '10' },
    hold: { type: 'string', default: '15' },
    scenarios: { type: 'string', default: 'long-poll,short-poll,sse' },
    before: { type: 'string' },
    /** With `--before`: measure the before side first in the first scenario (then alternate). */
    'before-first': { type: 'boolean', default: false },
    out: { type: 'string', default: join(import.meta.dirname, 'http-last-run.json') },
    /** Also rewrite the measured-cost table in load/README.md from this run. */
    readme: { type: 'boolean', default: false },
    /** Only rewrite the README table from this earlier result file; measure nothing. */
    'table-from': { type: 'string' },
  },
})
/** VUs (and bare clients) of the reference run whose RSS is subtracted. */
const REFERENCE_VUS = 2
const POLL_INTERVAL_MS = 1000
const rampS = flagNumber('--ramp', args.ramp, { min: 0 })
const holdS = flagNumber('--hold', args.hold, { above: 0 })
const clients = flagNumber('--clients', args.clients, { integer: true, above: REFERENCE_VUS })
const SCENARIOS = ['long-poll', 'short-poll', 'sse'] as const
type Scenario = (typeof SCENARIOS)[number]
const scenarios = args.scenarios.split(',').map((name) => {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    usageError(`unknown scenario "${name}": pick from ${SCENARIOS.join(', ')}`)
  }
  return name as Scenario
})
if (args.before !== undefined) engineCheckout('--before', args.before)

/** The measured window (the kit's). */
type Window = UsageWindow

interface EngineFigures {
  window: Window
  /** Requests (`http_reqs`) in the whole seconds of the window. */
  requests: number
  /** SSE events (`sse_event`) in the whole seconds of the window. */
  events: number
  /** Feed frames (`feed_frames`) in the whole seconds of the window. */
  frames: number
  /** Whole seconds the counts cover. */
  seconds: number
  loopDelayP99MaxMs: number
  feedLatencyP99Ms: number | null
  exitCode: number | string
}

/** The process's and the server's usage from 2 s after the ramp to 1 s before the end. */
function steadyWindow(pid: number, serverPid: number, startedMs: number): Promise<UsageWindow> {
  return measureWindow(
    pid,
    serverPid,
    startedMs + (rampS + 2) * 1000,
    startedMs + (rampS + holdS - 1) * 1000,
  )
}

async function engineRun(
  root: string,
  url: string,
  serverPid: number,
  scenario: Scenario,
  vus: number,
): Promise<EngineFigures> {
  const stamp = `${scenario}-${vus}-${Date.now()}`
  const series = join(tmpdir(), `http-cost-${stamp}.ndjson`)
  const summary = join(tmpdir(), `http-cost-${stamp}.json`)
  const started = Date.now()
  const child = spawnEngineRun({
    root,
    scenario,
    env: {
      BASE_URL: url,
      VUS: String(vus),
      RAMP: `${rampS}s`,
      HOLD: `${holdS}s`,
      POLL_INTERVAL: `${POLL_INTERVAL_MS}ms`,
      LATENCY_P95: '100000',
    },
    series,
    flags: ['--summary-trend-stats', 'avg,p(95),p(99)', '--summary-export', summary],
  })
  // Steady window: from 2 s after the ramp (connections settled) to 1 s before the end.
  const window = await steadyWindow(child.pid, serverPid, started)
  const exitCode = await child.exited
  const fromS = Math.ceil(window.fromMs / 1000)
  const toS = Math.floor(window.toMs / 1000)
  const lines = parseSeries(readFileSync(series, 'utf8'))
  const loopDelayP99MaxMs = gaugeMax(lines, 'engine_event_loop_delay_p99', fromS, toS) ?? 0
  let feedLatencyP99Ms: number | null = null
  if (existsSync(summary)) {
    const exported = JSON.parse(readFileSync(summary, 'utf8')) as {
      metrics: Record<string, Record<string, number> | undefined>
    }
    feedLatencyP99Ms = exported.metrics['feed_latency']?.['p(99)'] ?? null
  }
  const seconds = toS - fromS
  const scale = seconds / ((window.toMs - window.fromMs) / 1000)
  return {
    // CPU scaled to the whole seconds the counts cover.
    window: { ...window, cpuS: window.cpuS * scale, serverCpuS: window.serverCpuS * scale },
    requests: counterSum(lines, 'http_reqs', fromS, toS),
    events: counterSum(lines, 'sse_event', fromS, toS),
    frames: counterSum(lines, 'feed_frames', fromS, toS),
    seconds,
    loopDelayP99MaxMs,
    feedLatencyP99Ms,
    exitCode,
  }
}

interface BareFigures {
  window: Window
  requests: number
  messages: number
}

async function bareRun(
  url: string,
  serverPid: number,
  scenario: Scenario,
  count: number,
): Promise<BareFigures> {
  const { child, nearest } = startBareClients(join(import.meta.dirname, 'raw-http-clients.ts'), [
    url,
    scenario,
    String(count),
    String(rampS + holdS),
    String(rampS),
    String(POLL_INTERVAL_MS),
  ])
  const started = Date.now()
  const window = await steadyWindow(child.pid, serverPid, started)
  const exit = await child.exited
  if (exit !== 0) throw new Error(`bare clients exited ${String(exit)}:\n${child.output()}`)
  const from = nearest(window.fromMs)
  const to = nearest(window.toMs)
  const seconds = (to.t - from.t) / 1000
  const scale = seconds > 0 ? seconds / ((window.toMs - window.fromMs) / 1000) : 1
  return {
    window: { ...window, cpuS: window.cpuS * scale, serverCpuS: window.serverCpuS * scale },
    requests: countOf(to, 'requests') - countOf(from, 'requests'),
    messages: countOf(to, 'messages') - countOf(from, 'messages'),
  }
}

/** CPU µs per unit (request for polls, message for SSE). */
function perUnit(cpuS: number, units: number): number | null {
  return units > 0 ? (cpuS * 1e6) / units : null
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b
}

const fmt = (value: number | null, digits = 2): string =>
  value === null ? 'n/a' : value.toFixed(digits)

/**
 * eventsource-parser's own CPU per event, in this process, on events built from real frames of
 * the server (a short poll's messages) framed as the SSE transport frames them: the share of
 * the engine's per-message cost the parser takes.
 */
async function parserCost(url: string): Promise<{ eventBytes: number; usPerEvent: number }> {
  type Reply = { epoch: string; next: number; messages: unknown[] }
  const first = (await (await fetch(`${url}/poll/short`)).json()) as Reply
  // With a cursor a few frames back the reply holds plain frames, as the stream sends them.
  const reply = (await (
    await fetch(`${url}/poll/short?epoch=${first.epoch}&since=${first.next - 3}`)
  ).json()) as Reply
  const frame = JSON.stringify(reply.messages.at(-1))
  const event = `id: ${reply.epoch}:${reply.next}\ndata: ${frame}\n\n`
  let events = 0
  const parser = createParser({
    onEvent() {
      events++
    },
  })
  const ROUNDS = 100_000
  for (let i = 0; i < ROUNDS / 10; i++) parser.feed(event)
  const started = process.cpuUsage()
  for (let i = 0; i < ROUNDS; i++) parser.feed(event)
  const used = process.cpuUsage(started)
  if (events !== ROUNDS + ROUNDS / 10) throw new Error(`parser saw ${events} events`)
  return { eventBytes: Buffer.byteLength(event), usPerEvent: (used.user + used.system) / ROUNDS }
}

/** One engine's figures for one scenario. */
interface EngineReport {
  exitCode: number | string
  seconds: number
  requests: number
  sseEvents: number
  feedFrames: number
  cpuS: number
  cpuPercent: number
  cpuUsPerUnit: number | null
  cpuUsPerFrame: number | null
  peakRssBytes: number
  referencePeakRssBytes: number
  rssBytesPerVu: number
  serverCpuPercent: number
  feedLatencyP99Ms: number | null
  eventLoopDelayP99MaxMs: number
}

/** One scenario's result, as written to the JSON file. */
interface CostResult {
  scenario: Scenario
  clients: number
  unit: 'message' | 'request'
  engine: EngineReport
  bareNodeHttpBaseline: {
    requests: number
    messages: number
    cpuS: number
    cpuUsPerUnit: number | null
    peakRssBytes: number
    referencePeakRssBytes: number
    rssBytesPerClient: number
    serverCpuS: number
  }
  engineBefore?: EngineReport
  /** With `--before`: which engine was measured first (they alternate by scenario). */
  order?: 'this first' | 'before first'
  eventsourceParser?: {
    eventBytes: number
    usPerEvent: number
    shareOfEngineCpuPerMessage: number | null
  }
  ratios: {
    cpuPerUnitVsBare: number | null
    rssPerVuVsBarePerClient: number | null
    cpuPerUnitVsEngineBefore?: number | null
    rssPerVuVsEngineBefore?: number | null
    beforeCpuPerUnitVsBare?: number | null
  }
}

/** The JSON file's content. */
interface CostReport {
  measuredAt: string
  machine: {
    cpus: number
    model: string
    node: string
    loadAverageBefore: number[]
    loadAverageAfter: number[]
  }
  parameters: {
    clients: number
    rampS: number
    holdS: number
    pollIntervalMs: number
    referenceVus: number
    serverRateHz: number
    before: string | null
  }
  results: CostResult[]
}

/** One engine run's figures as reported, against its reference run of {@link REFERENCE_VUS}. */
function describeEngine(
  scenario: Scenario,
  figures: EngineFigures,
  one: EngineFigures,
): EngineReport {
  const units = scenario === 'sse' ? figures.events : figures.requests
  return {
    exitCode: figures.exitCode,
    seconds: figures.seconds,
    requests: figures.requests,
    sseEvents: figures.events,
    feedFrames: figures.frames,
    cpuS: figures.window.cpuS,
    cpuPercent: (100 * figures.window.cpuS) / Math.max(1, figures.seconds),
    cpuUsPerUnit: perUnit(figures.window.cpuS, units),
    cpuUsPerFrame: perUnit(figures.window.cpuS, figures.frames),
    peakRssBytes: figures.window.peakRssBytes,
    referencePeakRssBytes: one.window.peakRssBytes,
    rssBytesPerVu:
      (figures.window.peakRssBytes - one.window.peakRssBytes) / (clients - REFERENCE_VUS),
    serverCpuPercent: (100 * figures.window.serverCpuS) / Math.max(1, figures.seconds),
    feedLatencyP99Ms: figures.feedLatencyP99Ms,
    eventLoopDelayP99MaxMs: figures.loopDelayP99MaxMs,
  }
}

/** The line printed for one scenario's result. */
function costLine(result: CostResult): string {
  const {
    scenario,
    unit,
    engine,
    bareNodeHttpBaseline: bare,
    engineBefore,
    eventsourceParser,
  } = result
  return (
    `${scenario} × ${clients}: engine ${fmt(engine.cpuUsPerUnit)} µs CPU/${unit} (bare node:http ${fmt(bare.cpuUsPerUnit)}, ×${fmt(result.ratios.cpuPerUnitVsBare)}` +
    (engineBefore === undefined
      ? ''
      : `; engine before ${fmt(engineBefore.cpuUsPerUnit)}, ×${fmt(ratio(engine.cpuUsPerUnit, engineBefore.cpuUsPerUnit))}`) +
    `), ${fmt(engine.rssBytesPerVu / 1024, 1)} KB RSS/VU (bare ${fmt(bare.rssBytesPerClient / 1024, 1)} KB/client), ` +
    `engine CPU ${fmt(engine.cpuPercent, 0)} %, server CPU ${fmt(engine.serverCpuPercent, 0)} %, ` +
    `feed_latency p99 ${fmt(engine.feedLatencyP99Ms, 0)} ms, loop delay p99 max ${fmt(engine.eventLoopDelayP99MaxMs, 0)} ms, exit ${engine.exitCode}` +
    (eventsourceParser === undefined
      ? ''
      : `; eventsource-parser ${fmt(eventsourceParser.usPerEvent)} µs/event (${fmt(eventsourceParser.eventBytes, 0)} B)`) +
    '\n'
  )
}

/**
 * One scenario against its own server: the engine and the bare clients at `clients` and at
 * {@link REFERENCE_VUS}, the engine of `--before` when given, and for SSE the parser's cost.
 */
async function measureScenario(scenario: Scenario, beforeFirst: boolean): Promise<CostResult> {
  const serverProcess = await startServerProcess()
  const baseUrl = serverProcess.url
  const serverPid = serverProcess.pid
  try {
    const unit: CostResult['unit'] = scenario === 'sse' ? 'message' : 'request'
    const measureEngine = async (
      root: string,
    ): Promise<{ one: EngineFigures; many: EngineFigures }> => ({
      one: await engineRun(root, baseUrl, serverPid, scenario, REFERENCE_VUS),
      many: await engineRun(root, baseUrl, serverPid, scenario, clients),
    })
    // The two engines run back to back, so drift on the machine between them stays small;
    // which one goes first alternates from scenario to scenario (`order` in the result).
    const beforeRoot = args.before
    const early =
      beforeRoot !== undefined && beforeFirst ? await measureEngine(beforeRoot) : undefined
    const { one: engineOne, many: engine } = await measureEngine(ROOT)
    const late =
      beforeRoot !== undefined && !beforeFirst ? await measureEngine(beforeRoot) : undefined
    const beforeRuns = early ?? late
    const before =
      beforeRuns === undefined
        ? undefined
        : describeEngine(scenario, beforeRuns.many, beforeRuns.one)
    const bare = await bareRun(baseUrl, serverPid, scenario, clients)
    const bareOne = await bareRun(baseUrl, serverPid, scenario, REFERENCE_VUS)
    const parser = scenario === 'sse' ? await parserCost(baseUrl) : undefined
    const engineFigures = describeEngine(scenario, engine, engineOne)
    const bareCpuPerUnit = perUnit(
      bare.window.cpuS,
      scenario === 'sse' ? bare.messages : bare.requests,
    )
    const bareRssPerClient =
      (bare.window.peakRssBytes - bareOne.window.peakRssBytes) / (clients - REFERENCE_VUS)
    const engineCpuPerUnit = engineFigures.cpuUsPerUnit
    const engineRssPerVu = engineFigures.rssBytesPerVu
    return {
      scenario,
      clients,
      unit,
      engine: engineFigures,
      bareNodeHttpBaseline: {
        requests: bare.requests,
        messages: bare.messages,
        cpuS: bare.window.cpuS,
        cpuUsPerUnit: bareCpuPerUnit,
        peakRssBytes: bare.window.peakRssBytes,
        referencePeakRssBytes: bareOne.window.peakRssBytes,
        rssBytesPerClient: bareRssPerClient,
        serverCpuS: bare.window.serverCpuS,
      },
      ...(before === undefined
        ? {}
        : { engineBefore: before, order: beforeFirst ? 'before first' : 'this first' }),
      ...(parser === undefined
        ? {}
        : {
            eventsourceParser: {
              ...parser,
              shareOfEngineCpuPerMessage: ratio(parser.usPerEvent, engineCpuPerUnit),
            },
          }),
      ratios: {
        cpuPerUnitVsBare: ratio(engineCpuPerUnit, bareCpuPerUnit),
        rssPerVuVsBarePerClient: ratio(engineRssPerVu, bareRssPerClient),
        ...(before === undefined
          ? {}
          : {
              cpuPerUnitVsEngineBefore: ratio(engineCpuPerUnit, before.cpuUsPerUnit),
              rssPerVuVsEngineBefore: ratio(engineRssPerVu, before.rssBytesPerVu),
              beforeCpuPerUnitVsBare: ratio(before.cpuUsPerUnit, bareCpuPerUnit),
            }),
      },
    }
  } finally {
    await serverProcess.stop()
  }
}

/** Runs every scenario with its baselines; prints one line per scenario. */
async function measureAll(): Promise<CostReport> {
  const machineLoadBefore = loadavg()
  const results: CostResult[] = []
  for (const [index, scenario] of scenarios.entries()) {
    const result = await measureScenario(scenario, (index % 2 === 1) !== args['before-first'])
    results.push(result)
    process.stdout.write(costLine(result))
  }
  return {
    measuredAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? '',
      node: process.version,
      loadAverageBefore: machineLoadBefore,
      loadAverageAfter: loadavg(),
    },
    parameters: {
      clients,
      rampS,
      holdS,
      pollIntervalMs: POLL_INTERVAL_MS,
      referenceVus: REFERENCE_VUS,
      serverRateHz: 10,
      before: args.before ?? null,
    },
    results,
  }
}

/** The README's table of this run: figures, and ratios to the baselines of the same run. */
function readmeTable(file: string, report: CostReport): string {
  const rows = report.results
  const lines = [
    `Last run (\`${file}\`, ${report.measuredAt}, ${String(report.parameters.clients)} VUs/clients, load average before ${report.machine.loadAverageBefore.map((n) => n.toFixed(1)).join(' ')}):`,
    '',
    '| scenario | engine CPU µs/unit | bare node:http µs/unit | ratio | engine before µs/unit | ratio | engine RSS KB/VU | bare KB/client | engine CPU % | server CPU % | feed_latency p99 ms | engine loop delay p99 max ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const row of rows) {
    const before = row.engineBefore
    lines.push(
      `| ${row.scenario} (µs per ${row.unit}) | ${fmt(row.engine.cpuUsPerUnit, 1)} | ${fmt(row.bareNodeHttpBaseline.cpuUsPerUnit, 1)} | ×${fmt(row.ratios.cpuPerUnitVsBare)} | ` +
        `${before === undefined ? '–' : fmt(before.cpuUsPerUnit, 1)} | ${before === undefined ? '–' : `×${fmt(row.ratios.cpuPerUnitVsEngineBefore ?? null)}`} | ` +
        `${fmt(row.engine.rssBytesPerVu / 1024, 1)} | ${fmt(row.bareNodeHttpBaseline.rssBytesPerClient / 1024, 1)} | ` +
        `${fmt(row.engine.cpuPercent, 0)} | ${fmt(row.engine.serverCpuPercent, 0)} | ${fmt(row.engine.feedLatencyP99Ms, 0)} | ${fmt(row.engine.eventLoopDelayP99MaxMs, 0)} |`,
    )
  }
  const sse = rows.find((row) => row.eventsourceParser !== undefined)?.eventsourceParser
  if (sse !== undefined) {
    lines.push(
      '',
      `eventsource-parser alone: ${fmt(sse.usPerEvent)} µs CPU per ${String(sse.eventBytes)}-byte event, ×${fmt(sse.shareOfEngineCpuPerMessage)} of the engine's CPU per SSE message.`,
    )
  }
  return `${lines.join('\n')}\n`
}

let report: CostReport
let reportFile = args.out
if (args['table-from'] === undefined) {
  report = await measureAll()
  // Formatted as the repository's prettier check wants JSON (short arrays on one line).
  writeFileSync(args.out, await format(JSON.stringify(report), { parser: 'json' }))
  process.stdout.write(`written ${args.out}\n`)
} else {
  reportFile = args['table-from']
  report = JSON.parse(readFileSync(reportFile, 'utf8')) as CostReport
}

if (args.readme || args['table-from'] !== undefined) {
  const readme = join(ROOT, 'load/README.md')
  // Written as is: prettier ignores *.md here, and formatting the file would rewrite other
  // sections' tables too.
  writeMarkedBlock(readme, 'http-cost', readmeTable(relative(ROOT, reportFile), report))
  process.stdout.write(`updated the measured-cost table in ${readme}\n`)
}

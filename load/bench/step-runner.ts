/**
 * Runs one rung of the ladder: starts the server as its own process on a free port,
 * runs the protocol's scenario with the chosen engine at one connection count, samples
 * both processes once per second, and turns what they wrote into a {@link StepResult}.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, relative } from 'node:path'
import type { Protocol } from '../../servers/feed/messages.ts'
import {
  freePort,
  spawnCommand,
  spawnNode,
  stopChild,
  waitHealthy,
  type Child,
} from './child-process.ts'
import { SATURATION, TIMEOUTS } from './defaults.ts'
import { underDelivered } from './ladder.ts'
import { countOf, hasP99, parseSummary, SUMMARY_TREND_STATS, trendOf } from './k6-summary.ts'
import { ProcessSampler, summariseSamples, type ProcessSample } from './process-sampler.ts'
import { readSample, scrape } from './prometheus-text.ts'
import type { StepResult } from './report-schema.ts'
import {
  aggregateK6Json,
  counterSum,
  gaugeMax,
  trendMaxP99,
  latestP95,
  parseSeries,
  type SeriesLine,
} from './series.ts'

/** Which load generator runs the scenario. */
export type EngineKind = 'builtin' | 'k6'

/** Everything one step needs. */
export interface StepPlan {
  protocol: Protocol
  design: 'reference' | 'baseline'
  connections: number
  holdS: number
  rampS: number
  rateHz: number
  pollIntervalS: number
  /** p95 budget, ms, before {@link effectiveBudgetMs} adds the short-poll interval. */
  budgetMs: number
  engine: EngineKind
  /** Repository root (scripts and servers are resolved from it). */
  root: string
  /** The run folder; the step writes under `<design>/<protocol>/<connections>/`. */
  runDir: string
  /** Write a V8 CPU profile of the server into the step folder (`node --cpu-prof`). */
  cpuProfile?: boolean
}

/** Live figures for the progress line, once per second. */
export interface StepProgress {
  elapsedS: number
  connected: number | null
  p95: number | null
}

/** A step that could not produce figures (server or engine failed). */
export class StepFailure extends Error {
  override readonly name = 'StepFailure'
}

/**
 * The built-in engine's CLI. `BENCH_ENGINE_CLI` replaces it (same arguments), so the bench's
 * own tests can drive a stand-in.
 */
const ENGINE_CLI = process.env['BENCH_ENGINE_CLI'] ?? 'load/engine/cli.ts'

const SCRIPT: Readonly<Record<Protocol, string>> = Object.freeze({
  websocket: 'load/scenarios/websocket.ts',
  sse: 'load/scenarios/sse.ts',
  'long-poll': 'load/scenarios/long-poll.ts',
  'short-poll': 'load/scenarios/short-poll.ts',
})

/**
 * The p95 budget a protocol is judged by: short polling is stale by up to one interval by
 * design, so its budget is the base budget plus the interval (as the scenario's threshold).
 */
export function effectiveBudgetMs(
  plan: Pick<StepPlan, 'protocol' | 'budgetMs' | 'pollIntervalS'>,
): number {
  return plan.protocol === 'short-poll' ? plan.budgetMs + plan.pollIntervalS * 1000 : plan.budgetMs
}

function startServer(plan: StepPlan, port: number, stepDir: string): Child {
  const common = [
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--protocols',
    plan.protocol,
    '--rate',
    String(plan.rateHz),
  ]
  // The profile is written when the server exits on the bench's SIGTERM.
  const profile = plan.cpuProfile === true ? ['--cpu-prof', '--cpu-prof-dir', stepDir] : []
  return plan.design === 'reference'
    ? spawnNode([...profile, 'servers/main.ts', 'serve', ...common], plan.root)
    : spawnNode([...profile, 'servers/baseline/main.ts', ...common], plan.root)
}

let trendStatsSupport: boolean | undefined
/**
 * Whether the built-in engine takes k6's `--summary-trend-stats`. Without it its export has
 * no p(99), and the step's p99 comes from the per-second series instead (see README).
 */
function builtinHasTrendStats(root: string): boolean {
  if (trendStatsSupport === undefined) {
    try {
      const help = execFileSync(process.execPath, [ENGINE_CLI, 'run', '--help'], {
        cwd: root,
        encoding: 'utf8',
        timeout: 20_000,
      })
      trendStatsSupport = help.includes('--summary-trend-stats')
    } catch {
      trendStatsSupport = false
    }
  }
  return trendStatsSupport
}

function engineArgs(
  plan: StepPlan,
  baseUrl: string,
  summaryFile: string,
  rawFile: string,
): string[] {
  const env = [
    ['BASE_URL', baseUrl],
    ['VUS', String(plan.connections)],
    ['RAMP', `${plan.rampS}s`],
    ['HOLD', `${plan.holdS}s`],
    ['POLL_INTERVAL', `${plan.pollIntervalS}s`],
    ['LATENCY_P95', String(plan.budgetMs)],
  ].flatMap(([k, v]) => ['-e', `${k ?? ''}=${v ?? ''}`])
  const common = [
    'run',
    SCRIPT[plan.protocol],
    ...env,
    '--summary-export',
    summaryFile,
    ...(plan.engine === 'k6' || builtinHasTrendStats(plan.root)
      ? ['--summary-trend-stats', SUMMARY_TREND_STATS]
      : []),
    '--quiet',
  ]
  return plan.engine === 'k6'
    ? [...common, '--out', `json=${rawFile}`]
    : [...common, '--out', `series=${rawFile}`, '--engine', 'builtin']
}

function sampleLines(
  name: string,
  tags: Record<string, string>,
  samples: readonly ProcessSample[],
  pick: (s: ProcessSample) => number,
): SeriesLine[] {
  return samples.map((s) => ({
    t: Math.floor(s.t),
    metric: name,
    tags,
    type: 'gauge',
    value: pick(s),
  }))
}

/** Runs the step; throws {@link StepFailure} when the server or the engine failed. */
export async function runStep(
  plan: StepPlan,
  onProgress: (p: StepProgress) => void,
): Promise<StepResult> {
  const stepRel = join(plan.design, plan.protocol, String(plan.connections))
  const stepDir = join(plan.runDir, stepRel)
  mkdirSync(stepDir, { recursive: true })
  const summaryFile = join(stepDir, 'summary.json')
  const seriesFile = join(stepDir, 'series.ndjson')
  const rawFile = join(stepDir, plan.engine === 'k6' ? 'k6-points.ndjson' : 'engine-series.ndjson')

  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const server = startServer(plan, port, stepDir)
  const serverSampler = new ProcessSampler(server.pid)
  let engine: Child | undefined
  let generatorSampler: ProcessSampler | undefined
  let progressTimer: NodeJS.Timeout | undefined
  try {
    await waitHealthy(`${baseUrl}/healthz`, server)
    serverSampler.start()
    // Let the server settle after start-up before the "before clients" RSS reading.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const before = serverSampler.sample()
    const rssBeforeMiB = before?.rssMiB ?? 0

    const engineStart = Date.now() / 1000
    engine =
      plan.engine === 'k6'
        ? spawnCommand('k6', engineArgs(plan, baseUrl, summaryFile, rawFile), plan.root)
        : spawnNode([ENGINE_CLI, ...engineArgs(plan, baseUrl, summaryFile, rawFile)], plan.root)
    generatorSampler = new ProcessSampler(engine.pid).start()

    const clients: { t: number; value: number }[] = []
    let readOffset = 0
    let liveLines: SeriesLine[] = []
    const tick = async (): Promise<void> => {
      const text = await scrape(baseUrl)
      const value = text === null ? null : readSample(text, 'realtime_clients', plan.protocol)
      if (value !== null) clients.push({ t: Date.now() / 1000, value })
      if (plan.engine === 'builtin' && existsSync(rawFile)) {
        // Read only what the engine appended since the last second.
        const size = statSync(rawFile).size
        if (size > readOffset) {
          const fresh = readFileSync(rawFile).subarray(readOffset, size).toString('utf8')
          const cut = fresh.lastIndexOf('\n') + 1
          readOffset += Buffer.byteLength(fresh.slice(0, cut))
          liveLines = parseSeries(fresh.slice(0, cut))
        }
      }
      onProgress({
        elapsedS: Date.now() / 1000 - engineStart,
        connected: value,
        p95: latestP95(liveLines, 'feed_latency'),
      })
    }
    progressTimer = setInterval(() => void tick(), 1000)

    const limitMs = (plan.rampS + plan.holdS) * 1000 + TIMEOUTS.engineGraceMs
    const killer = setTimeout(() => engine?.process.kill('SIGKILL'), limitMs)
    const code = await engine.exited
    clearTimeout(killer)
    clearInterval(progressTimer)
    generatorSampler.stop()
    serverSampler.stop()
    // 99: thresholds failed — the figures are still valid, the bench judges them itself.
    if (code !== 0 && code !== 99) {
      throw new StepFailure(
        `engine exited with ${String(code)}: ${engine.output().trim().split('\n').slice(-6).join(' | ')}`,
      )
    }
    if (!existsSync(summaryFile)) throw new StepFailure(`engine wrote no summary to ${summaryFile}`)
    const summary = parseSummary(readFileSync(summaryFile, 'utf8'), summaryFile)

    let engineLines: SeriesLine[] = []
    if (plan.engine === 'k6') {
      if (existsSync(rawFile)) {
        engineLines = await aggregateK6Json(rawFile)
        // The raw points are large; the per-second aggregate keeps what the report needs.
        rmSync(rawFile)
      }
    } else if (existsSync(rawFile)) {
      engineLines = parseSeries(readFileSync(rawFile, 'utf8'))
      rmSync(rawFile)
    }

    // The scenario starts in the first second with a running VU (else the first feed metric);
    // the window follows the ramp.
    const vuTimes = engineLines
      .filter((l) => l.metric === 'vus' && l.type === 'gauge' && l.value > 0)
      .map((l) => l.t)
    const feedTimes = engineLines.filter((l) => l.metric.startsWith('feed_')).map((l) => l.t)
    const startTimes = vuTimes.length > 0 ? vuTimes : feedTimes
    const t0 = startTimes.length > 0 ? Math.min(...startTimes) : Math.floor(engineStart)
    // Whole seconds only: the first and last partial seconds are left out.
    const windowS = Math.max(1, plan.holdS - 1)
    const from = t0 + plan.rampS + 1
    const to = from + windowS

    const serverWin = summariseSamples(serverSampler.samples, from, to)
    const genWin = summariseSamples(generatorSampler.samples, from, to)
    const clientsInWindow = clients.filter((c) => c.t >= from && c.t < to).map((c) => c.value)
    const connected = Math.round(
      Math.max(
        0,
        ...clientsInWindow,
        ...(clientsInWindow.length === 0 ? clients.map((c) => c.value) : []),
      ),
    )

    const framesReceived = Math.round(counterSum(engineLines, 'feed_frames', from, to))
    const framesExpected = Math.round(plan.connections * plan.rateHz * windowS)
    const gaps = Math.round(countOf(summary, 'feed_gaps'))
    const resets = Math.round(countOf(summary, 'feed_resets'))
    const latency = trendOf(summary, 'feed_latency')
    if (!hasP99(summary, 'feed_latency')) {
      // No p(99) in the export: the highest per-second p99 of the window, an upper bound.
      latency.p99 = Math.max(
        latency.p95,
        trendMaxP99(engineLines, 'feed_latency', from, to) ?? latency.max,
      )
    }
    const allFrames = countOf(summary, 'feed_frames')
    const dataReceived = countOf(summary, 'data_received')
    const bytesPerFrame = allFrames > 0 && dataReceived > 0 ? dataReceived / allFrames : null

    // Poll clients hold no connection between requests: memory is per client (VU) there.
    const perConnectionDenominator =
      plan.protocol === 'websocket' || plan.protocol === 'sse' ? connected : plan.connections
    const rssPerConnectionKiB =
      perConnectionDenominator > 0
        ? ((serverWin.rssMiB - rssBeforeMiB) * 1024) / perConnectionDenominator
        : null

    const eventLoopDelayP99Ms =
      plan.engine === 'k6' ? null : gaugeMax(engineLines, 'engine_event_loop_delay_p99', from, to)
    const cores = availableParallelism()
    const reasons: string[] = []
    if (genWin.cpuPercent >= SATURATION.cpuShareOfCores * cores * 100) {
      reasons.push(`generator CPU ${genWin.cpuPercent.toFixed(0)} % of ${cores} cores`)
    }
    if (eventLoopDelayP99Ms !== null && eventLoopDelayP99Ms > SATURATION.eventLoopDelayP99Ms) {
      reasons.push(`generator event-loop delay p99 ${eventLoopDelayP99Ms.toFixed(0)} ms`)
    }
    const lostFrames =
      gaps > 0 ||
      underDelivered(
        { protocol: plan.protocol, framesExpected, framesReceived, holdS: windowS },
        plan.pollIntervalS,
      )
    const withinBudget = latency.p95 <= effectiveBudgetMs(plan) && !lostFrames

    // One series file per step: the engine's lines plus the bench's own samples.
    const tags = { protocol: plan.protocol }
    const all: SeriesLine[] = [
      ...engineLines,
      ...sampleLines('server_cpu_percent', tags, serverSampler.samples, (s) => s.cpuPercent),
      ...sampleLines('server_rss_mib', tags, serverSampler.samples, (s) => s.rssMiB),
      ...sampleLines('generator_cpu_percent', tags, generatorSampler.samples, (s) => s.cpuPercent),
      ...sampleLines('generator_rss_mib', tags, generatorSampler.samples, (s) => s.rssMiB),
      ...clients.map((c): SeriesLine => ({
        t: Math.floor(c.t),
        metric: 'server_clients',
        tags,
        type: 'gauge',
        value: c.value,
      })),
    ].sort((a, b) => a.t - b.t)
    writeFileSync(seriesFile, all.map((l) => JSON.stringify(l)).join('\n') + '\n')

    return {
      protocol: plan.protocol,
      design: plan.design,
      connections: plan.connections,
      connected,
      holdS: windowS,
      latencyMs: latency,
      connectMs: trendOf(summary, 'feed_connect'),
      framesExpected,
      framesReceived,
      gaps,
      resets,
      bytesPerFrame,
      server: { ...serverWin, rssPerConnectionKiB },
      generator: { ...genWin, eventLoopDelayP99Ms },
      valid: reasons.length === 0,
      invalidReason: reasons.length === 0 ? null : reasons.join('; '),
      withinBudget,
      files: {
        summary: relative(plan.runDir, summaryFile),
        series: relative(plan.runDir, seriesFile),
      },
    }
  } finally {
    clearInterval(progressTimer)
    serverSampler.stop()
    generatorSampler?.stop()
    if (engine !== undefined) await stopChild(engine)
    await stopChild(server)
  }
}

/**
 * Runs one rung of the ladder: starts the server as its own process on a free port,
 * runs the protocol's scenario with the chosen engine at one connection count, samples
 * both processes once per second, and turns what they wrote into a {@link StepResult}.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, relative } from 'node:path'
import { equalSegments } from '../engine/execution-segment.ts'
import { PROTOCOL_TABLE, type Protocol } from '../../servers/transports/protocols.ts'
import { spawnCommand, spawnNode, stopChild, type Child } from '../kit/child-process.ts'
import { TIMEOUTS } from './defaults.ts'
import { parseSummary, SUMMARY_TREND_STATS, type K6Summary } from './k6-summary.ts'
import { mergeSummaries, readTrendSamples, tagProcess, type TrendSamples } from './load-merge.ts'
import { ProcessSampler } from '../kit/process-sampler.ts'
import { readSample, scrape } from '../kit/prometheus-text.ts'
import type { LinkUnderTest } from '../network/link.ts'
import type { StepResult } from './report-schema.ts'
import { startServerUnderTest, type ServerUnderTest } from './server-under-test.ts'
import { aggregateK6Json, latestP95, parseSeries, type SeriesLine } from '../kit/series.ts'

import type { StepPlan } from './step-plan.ts'
import { deriveStep, seriesLines, type ClientReading, type StepRecord } from './step-derive.ts'

export type { EngineKind, StepPlan } from './step-plan.ts'

/** Live figures for the progress line, once per second. */
export interface StepProgress {
  elapsedS: number
  connected: number | null
  p95: number | null
}

/** A step that could not produce figures (server or engine failed). */
export class StepFailure extends Error {
  override readonly name: string = 'StepFailure'
}

/**
 * A step the load tool failed (it exited with an error or wrote no summary): a fault of the
 * instrument, never a verdict on the protocol.
 */
export class LoadToolFailure extends StepFailure {
  override readonly name = 'LoadToolFailure'
}

/**
 * The built-in engine's CLI. `BENCH_ENGINE_CLI` replaces it (same arguments), so the bench's
 * own tests can drive a stand-in.
 */
const ENGINE_CLI = process.env['BENCH_ENGINE_CLI'] ?? 'load/engine/cli.ts'

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

/** One engine process's files and its execution segment (none when it runs alone). */
interface EngineProcessPlan {
  summaryFile: string
  rawFile: string
  samplesFile: string | null
  segment: { segment: string; sequence: string } | null
}

function engineArgs(plan: StepPlan, baseUrl: string, process: EngineProcessPlan): string[] {
  const { summaryFile, rawFile } = process
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
    PROTOCOL_TABLE[plan.protocol].scenario,
    ...env,
    '--summary-export',
    summaryFile,
    ...(plan.engine === 'k6' || builtinHasTrendStats(plan.root)
      ? ['--summary-trend-stats', SUMMARY_TREND_STATS]
      : []),
    '--quiet',
    ...(process.segment === null
      ? []
      : [
          '--execution-segment',
          process.segment.segment,
          '--execution-segment-sequence',
          process.segment.sequence,
        ]),
    ...(process.samplesFile === null ? [] : ['--out', `samples=${process.samplesFile}`]),
  ]
  return plan.engine === 'k6'
    ? [...common, '--out', `json=${rawFile}`]
    : [...common, '--out', `series=${rawFile}`, '--engine', 'builtin']
}

/** The step's folder under the run: `<design>/<protocol>[/<variant>]/<connections>`. */
export function stepFolder(plan: StepPlan): string {
  const variant: string[] = []
  if ((plan.topology ?? 'single') !== 'single') variant.push(plan.topology ?? '')
  if (plan.encoding !== undefined && plan.encoding !== 'json') variant.push(plan.encoding)
  if (plan.network !== undefined && plan.network !== 'loopback') variant.push(plan.network)
  return join(
    plan.design,
    plan.protocol,
    ...(variant.length === 0 ? [] : [variant.join('-')]),
    String(plan.connections),
  )
}

/** A loss namespace's counters now, or null without one. */
function lossCounters(
  link: LinkUnderTest | null,
): { seen: number; dropped: number; retransmitted: number } | null {
  const namespace = link?.namespace ?? null
  if (namespace === null) return null
  const { seen, dropped } = namespace.packets()
  const { inside, outside } = namespace.retransmittedSegments()
  return { seen, dropped, retransmitted: inside + outside }
}

/** What the loss namespace did over the step: `{ loss }`, or nothing without one. */
function lossOver(
  link: LinkUnderTest,
  atStart: ReturnType<typeof lossCounters>,
): { loss?: { percent: number; packets: number; dropped: number; retransmitted: number } } {
  const now = lossCounters(link)
  if (now === null || atStart === null) return {}
  return {
    loss: {
      percent: link.profile.lossPercent,
      packets: now.seen - atStart.seen,
      dropped: now.dropped - atStart.dropped,
      retransmitted: now.retransmitted - atStart.retransmitted,
    },
  }
}

/** Sums `realtime_clients{protocol}` over every `/metrics` URL; null when none answered. */
async function clientsServed(urls: readonly string[], protocol: Protocol): Promise<number | null> {
  const values = await Promise.all(
    urls.map(async (url) => {
      const text = await scrape(url)
      return text === null ? null : readSample(text, 'realtime_clients', { protocol })
    }),
  )
  const answered = values.filter((v): v is number => v !== null)
  return answered.length === 0 ? null : answered.reduce((a, b) => a + b, 0)
}

/**
 * The engine processes of a step and their files: one, or `loadProcesses` that split the VUs
 * by execution segment (built-in engine only).
 */
function planEngines(plan: StepPlan, stepDir: string, summaryFile: string): EngineProcessPlan[] {
  const processCount = plan.loadProcesses ?? 1
  if (processCount > 1 && plan.engine === 'k6') {
    throw new StepFailure(
      '--load-processes above 1 needs the built-in engine (its --out samples=FILE keeps every raw sample for exact percentiles); use --engine builtin',
    )
  }
  const split = processCount > 1 ? equalSegments(processCount) : null
  return Array.from({ length: processCount }, (_, i) => {
    const suffix = split === null ? '' : `-${String(i + 1)}`
    return {
      summaryFile: split === null ? summaryFile : join(stepDir, `summary${suffix}.json`),
      rawFile: join(
        stepDir,
        plan.engine === 'k6' ? 'k6-points.ndjson' : `engine-series${suffix}.ndjson`,
      ),
      samplesFile: split === null ? null : join(stepDir, `samples${suffix}.ndjson`),
      segment:
        split === null ? null : { segment: split.segments[i] ?? '', sequence: split.sequence },
    }
  })
}

/**
 * What the engines wrote: one summary (several merged, with exact percentiles over every
 * process's raw samples, and written to `summaryFile`) and their per-second lines in time
 * order. The raw files are removed once read.
 */
async function collectEngineOutput(
  plan: StepPlan,
  engines: readonly EngineProcessPlan[],
  summaryFile: string,
): Promise<{ summary: K6Summary; engineLines: SeriesLine[] }> {
  const split = engines.length > 1
  const summaries: K6Summary[] = []
  for (const engine of engines) {
    if (!existsSync(engine.summaryFile))
      throw new LoadToolFailure(`engine wrote no summary to ${engine.summaryFile}`)
    summaries.push(parseSummary(readFileSync(engine.summaryFile, 'utf8'), engine.summaryFile))
  }
  let summary = summaries[0] ?? { metrics: {} }
  if (split) {
    // Exact percentiles over every process's raw samples, then one export like one engine's.
    const samples: TrendSamples = new Map()
    for (const engine of engines) {
      if (engine.samplesFile === null || !existsSync(engine.samplesFile))
        throw new LoadToolFailure(`engine wrote no samples to ${String(engine.samplesFile)}`)
      readTrendSamples(readFileSync(engine.samplesFile, 'utf8'), engine.samplesFile, samples)
      // The raw samples are large; the merged export keeps what the report needs.
      rmSync(engine.samplesFile)
    }
    summary = mergeSummaries(summaries, samples)
    writeFileSync(summaryFile, JSON.stringify(summary, null, 2) + '\n')
  }

  let engineLines: SeriesLine[] = []
  for (const [index, engine] of engines.entries()) {
    if (!existsSync(engine.rawFile)) continue
    const lines =
      plan.engine === 'k6'
        ? await aggregateK6Json(engine.rawFile)
        : parseSeries(readFileSync(engine.rawFile, 'utf8'))
    // The raw points are large; the per-second aggregate keeps what the report needs.
    rmSync(engine.rawFile)
    engineLines.push(...(!split ? lines : tagProcess(lines, index + 1)))
  }
  engineLines = engineLines.sort((a, b) => a.t - b.t)
  return { summary, engineLines }
}

/** Runs the step; throws {@link StepFailure} when the server or the engine failed. */
export async function runStep(
  plan: StepPlan,
  onProgress: (p: StepProgress) => void,
): Promise<StepResult> {
  const stepDir = join(plan.runDir, stepFolder(plan))
  mkdirSync(stepDir, { recursive: true })
  const summaryFile = join(stepDir, 'summary.json')
  const seriesFile = join(stepDir, 'series.ndjson')
  const topology = plan.topology ?? 'single'
  const engines = planEngines(plan, stepDir, summaryFile)

  let server: ServerUnderTest
  try {
    server = await startServerUnderTest({
      protocol: plan.protocol,
      design: plan.design,
      topology,
      encoding: plan.encoding ?? null,
      rateHz: plan.rateHz,
      root: plan.root,
      cpuProfileDir: plan.cpuProfile === true ? stepDir : undefined,
      network: plan.network,
    })
  } catch (error) {
    throw new StepFailure(
      `server did not start: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  const baseUrl = server.baseUrl
  const serverSampler = new ProcessSampler(server.pids)
  const nginxSampler = server.parts === null ? null : new ProcessSampler(server.parts.nginx)
  const redisSampler = server.parts === null ? null : new ProcessSampler(server.parts.redis)
  const relay = server.link?.relay ?? null
  const relaySampler = relay === null ? null : new ProcessSampler(relay.pid)
  const lossAtStart = lossCounters(server.link)
  const children: Child[] = []
  let generatorSampler: ProcessSampler | undefined
  let progressTimer: NodeJS.Timeout | undefined
  try {
    serverSampler.start()
    relaySampler?.start()
    nginxSampler?.start()
    redisSampler?.start()
    // Let the server settle after start-up before the "before clients" RSS reading.
    await new Promise((resolve) => setTimeout(resolve, 500))
    const before = serverSampler.sample()
    const rssBeforeMiB = before?.rssMiB ?? 0

    const engineStart = Date.now() / 1000
    for (const engine of engines) children.push(spawnEngine(plan, baseUrl, engine))
    generatorSampler = new ProcessSampler(children.map((c) => c.pid)).start()

    const { clients, tick } = progressReader(
      plan,
      server.metricsUrls,
      engines[0]?.rawFile ?? '',
      engineStart,
      onProgress,
    )
    progressTimer = setInterval(() => void tick(), 1000)

    const limitMs = (plan.rampS + plan.holdS) * 1000 + TIMEOUTS.engineGraceMs
    const killer = setTimeout(() => {
      for (const child of children) child.process.kill('SIGKILL')
    }, limitMs)
    const codes = await Promise.all(children.map((child) => child.exited))
    clearTimeout(killer)
    clearInterval(progressTimer)
    generatorSampler.stop()
    serverSampler.stop()
    nginxSampler?.stop()
    redisSampler?.stop()
    throwOnEngineFailure(codes, children)
    if (server.exited()) throw new StepFailure('a server process exited during the step')
    const { summary, engineLines } = await collectEngineOutput(plan, engines, summaryFile)

    const record: StepRecord = {
      engineStart,
      summary,
      engineLines,
      samples: {
        server: serverSampler.samples,
        generator: generatorSampler.samples,
        relay: relaySampler?.samples ?? null,
        nginx: nginxSampler?.samples ?? null,
        redis: redisSampler?.samples ?? null,
      },
      clients,
      rssBeforeMiB,
      link:
        server.link === null
          ? null
          : {
              name: server.link.profile.name,
              rttMs: server.link.profile.rttMs,
              relayLines: relay === null ? null : relay.lines(),
              ...lossOver(server.link, lossAtStart),
            },
      cores: availableParallelism(),
    }
    // One series file per step: the engine's lines plus the bench's own samples.
    const series = seriesLines(plan, record)
    writeFileSync(seriesFile, series.map((l) => JSON.stringify(l)).join('\n') + '\n')
    return deriveStep(plan, record, {
      summary: relative(plan.runDir, summaryFile),
      series: relative(plan.runDir, seriesFile),
    })
  } finally {
    clearInterval(progressTimer)
    serverSampler.stop()
    nginxSampler?.stop()
    redisSampler?.stop()
    generatorSampler?.stop()
    relaySampler?.stop()
    for (const child of children) await stopChild(child)
    await server.stop()
  }
}

/** Starts one engine process of the step; a spawn error is the load tool's failure. */
function spawnEngine(plan: StepPlan, baseUrl: string, engine: EngineProcessPlan): Child {
  try {
    return plan.engine === 'k6'
      ? spawnCommand(plan.k6Path ?? 'k6', engineArgs(plan, baseUrl, engine), plan.root)
      : spawnNode([ENGINE_CLI, ...engineArgs(plan, baseUrl, engine)], plan.root)
  } catch (error) {
    throw new LoadToolFailure(error instanceof Error ? error.message : String(error))
  }
}

/**
 * Once a second (`tick`): the server's client count, kept in `clients` for the window, and the
 * progress line with the p95 of what the (first) built-in engine appended since the last tick.
 */
function progressReader(
  plan: StepPlan,
  metricsUrls: readonly string[],
  firstRaw: string,
  engineStart: number,
  onProgress: (p: StepProgress) => void,
): { clients: ClientReading[]; tick: () => Promise<void> } {
  const clients: ClientReading[] = []
  let readOffset = 0
  let liveLines: SeriesLine[] = []
  const tick = async (): Promise<void> => {
    const value = await clientsServed(metricsUrls, plan.protocol)
    if (value !== null) clients.push({ t: Date.now() / 1000, value })
    if (plan.engine === 'builtin' && existsSync(firstRaw)) {
      // Read only what the (first) engine appended since the last second.
      const size = statSync(firstRaw).size
      if (size > readOffset) {
        const fresh = readFileSync(firstRaw).subarray(readOffset, size).toString('utf8')
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
  return { clients, tick }
}

/** Throws the load tool's failure for an engine that exited with an error (99: thresholds only). */
function throwOnEngineFailure(
  codes: readonly (number | string)[],
  children: readonly Child[],
): void {
  for (const [index, code] of codes.entries()) {
    // 99: thresholds failed — the figures are still valid, the bench judges them itself.
    if (code !== 0 && code !== 99) {
      const name = children.length > 1 ? `engine ${String(index + 1)}` : 'engine'
      throw new LoadToolFailure(
        `${name} exited with ${String(code)}: ${(children[index]?.output() ?? '').trim().split('\n').slice(-6).join(' | ')}`,
      )
    }
  }
}

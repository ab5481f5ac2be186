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
import { SATURATION, TIMEOUTS } from './defaults.ts'
import { effectiveBudgetMs, underDelivered } from './ladder.ts'
import {
  countOf,
  hasP99,
  parseSummary,
  SUMMARY_TREND_STATS,
  trendOf,
  type K6Summary,
} from './k6-summary.ts'
import { mergeSummaries, readTrendSamples, tagProcess, type TrendSamples } from './load-merge.ts'
import {
  ProcessSampler,
  summariseSamples,
  type ProcessSample,
  type WindowSummary,
} from '../kit/process-sampler.ts'
import { readSample, scrape } from '../kit/prometheus-text.ts'
import { linkShortfalls, relayWindow, type LinkUnderTest } from '../network/link.ts'
import type { StepResult } from './report-schema.ts'
import { startServerUnderTest, type ServerUnderTest } from './server-under-test.ts'
import {
  aggregateK6Json,
  counterSum,
  gaugeMax,
  trendMaxP99,
  latestP95,
  parseSeries,
  type SeriesLine,
} from '../kit/series.ts'

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
  /** The k6 binary when `engine` is `k6` (default: `k6` from PATH). */
  k6Path?: string
  /** Repository root (scripts and servers are resolved from it). */
  root: string
  /** The run folder; the step writes under `<design>/<protocol>/<connections>/`. */
  runDir: string
  /** Write a V8 CPU profile of the server into the step folder (`node --cpu-prof`). */
  cpuProfile?: boolean
  /** `single` (default) or `cluster-N`. */
  topology?: string
  /** The server's `--encoding`; undefined leaves the server's default and records none. */
  encoding?: string | undefined
  /** Engine processes that split the VUs by execution segment (default 1). */
  loadProcesses?: number
  /** A link profile (`load/network`) between the load and the server; default `loopback`. */
  network?: string | undefined
}

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

/** Runs the step; throws {@link StepFailure} when the server or the engine failed. */
export async function runStep(
  plan: StepPlan,
  onProgress: (p: StepProgress) => void,
): Promise<StepResult> {
  const stepRel = stepFolder(plan)
  const stepDir = join(plan.runDir, stepRel)
  mkdirSync(stepDir, { recursive: true })
  const summaryFile = join(stepDir, 'summary.json')
  const seriesFile = join(stepDir, 'series.ndjson')
  const topology = plan.topology ?? 'single'
  const processCount = plan.loadProcesses ?? 1
  if (processCount > 1 && plan.engine === 'k6') {
    throw new StepFailure(
      '--load-processes above 1 needs the built-in engine (its --out samples=FILE keeps every raw sample for exact percentiles); use --engine builtin',
    )
  }
  const split = processCount > 1 ? equalSegments(processCount) : null
  const engines: EngineProcessPlan[] = Array.from({ length: processCount }, (_, i) => {
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
    for (const engine of engines) {
      try {
        children.push(
          plan.engine === 'k6'
            ? spawnCommand(plan.k6Path ?? 'k6', engineArgs(plan, baseUrl, engine), plan.root)
            : spawnNode([ENGINE_CLI, ...engineArgs(plan, baseUrl, engine)], plan.root),
        )
      } catch (error) {
        throw new LoadToolFailure(error instanceof Error ? error.message : String(error))
      }
    }
    generatorSampler = new ProcessSampler(children.map((c) => c.pid)).start()

    const clients: { t: number; value: number }[] = []
    const firstRaw = engines[0]?.rawFile ?? ''
    let readOffset = 0
    let liveLines: SeriesLine[] = []
    const tick = async (): Promise<void> => {
      const value = await clientsServed(server.metricsUrls, plan.protocol)
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
    for (const [index, code] of codes.entries()) {
      // 99: thresholds failed — the figures are still valid, the bench judges them itself.
      if (code !== 0 && code !== 99) {
        const name = children.length > 1 ? `engine ${String(index + 1)}` : 'engine'
        throw new LoadToolFailure(
          `${name} exited with ${String(code)}: ${(children[index]?.output() ?? '').trim().split('\n').slice(-6).join(' | ')}`,
        )
      }
    }
    if (server.exited()) throw new StepFailure('a server process exited during the step')
    const summaries: K6Summary[] = []
    for (const engine of engines) {
      if (!existsSync(engine.summaryFile))
        throw new LoadToolFailure(`engine wrote no summary to ${engine.summaryFile}`)
      summaries.push(parseSummary(readFileSync(engine.summaryFile, 'utf8'), engine.summaryFile))
    }
    let summary = summaries[0] ?? { metrics: {} }
    if (split !== null) {
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
      engineLines.push(...(split === null ? lines : tagProcess(lines, index + 1)))
    }
    engineLines = engineLines.sort((a, b) => a.t - b.t)

    // The scenario starts in the first second with a running VU or a feed metric, whichever
    // comes first; the window follows the ramp. k6 samples `vus` once a second from 0, so its
    // first second with VUs above 0 is a second late: the first connection is not.
    const vuTimes = engineLines
      .filter((l) => l.metric === 'vus' && l.type === 'gauge' && l.value > 0)
      .map((l) => l.t)
    const feedTimes = engineLines.filter((l) => l.metric.startsWith('feed_')).map((l) => l.t)
    const startTimes = [...vuTimes, ...feedTimes]
    const t0 = startTimes.length > 0 ? Math.min(...startTimes) : Math.floor(engineStart)
    // Whole seconds only: the first and last partial seconds are left out.
    const windowS = Math.max(1, plan.holdS - 1)
    const from = t0 + plan.rampS + 1
    const to = from + windowS

    const serverWin = summariseSamples(serverSampler.samples, from, to)
    const genWin = summariseSamples(generatorSampler.samples, from, to)
    const clientsInWindow = clients.filter((c) => c.t >= from && c.t < to).map((c) => c.value)
    // At most one per VU: a client that drops and reconnects on purpose (feed-drop.ts) can be
    // counted twice for a moment, its new connection open before the server closed the old one.
    const connected = Math.min(
      plan.connections,
      Math.round(
        Math.max(
          0,
          ...clientsInWindow,
          ...(clientsInWindow.length === 0 ? clients.map((c) => c.value) : []),
        ),
      ),
    )

    const framesReceived = Math.round(counterSum(engineLines, 'feed_frames', from, to))
    // Due while connected: received plus found missing, filed in the same seconds, so
    // delivery cannot pass 100 %; the schedule (every client connected throughout) judges
    // under-delivery.
    const framesExpected =
      framesReceived + Math.round(counterSum(engineLines, 'feed_gaps', from, to))
    const framesScheduled = Math.round(plan.connections * plan.rateHz * windowS)
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
    const perConnectionDenominator = PROTOCOL_TABLE[plan.protocol].holdsConnection
      ? connected
      : plan.connections
    const rssPerConnectionKiB =
      perConnectionDenominator > 0
        ? ((serverWin.rssMiB - rssBeforeMiB) * 1024) / perConnectionDenominator
        : null

    const eventLoopDelayP99Ms =
      plan.engine === 'k6' ? null : gaugeMax(engineLines, 'engine_event_loop_delay_p99', from, to)
    const cores = availableParallelism()
    const reasons: string[] = []
    const relaySummary =
      relaySampler === null ? null : summariseSamples(relaySampler.samples, from, to)
    const relayWin =
      relay === null || relaySummary === null
        ? null
        : relayWindow(relay.lines(), relaySummary.cpuPercent, from, to)
    if (relayWin !== null && server.link !== null) {
      reasons.push(...linkShortfalls(relayWin, server.link.profile.rttMs / 2))
    }
    if (genWin.cpuPercent >= SATURATION.cpuShareOfCores * cores * 100) {
      reasons.push(`generator CPU ${genWin.cpuPercent.toFixed(0)} % of ${String(cores)} cores`)
    }
    if (eventLoopDelayP99Ms !== null && eventLoopDelayP99Ms > SATURATION.eventLoopDelayP99Ms) {
      reasons.push(`generator event-loop delay p99 ${eventLoopDelayP99Ms.toFixed(0)} ms`)
    }
    const lostFrames =
      gaps > 0 ||
      underDelivered(
        {
          protocol: plan.protocol,
          framesExpected,
          framesScheduled,
          framesReceived,
          holdS: windowS,
        },
        plan.pollIntervalS,
      )
    const withinBudget = latency.p95 <= effectiveBudgetMs(plan) && !lostFrames

    // One series file per step: the engine's lines plus the bench's own samples.
    const tags = { protocol: plan.protocol }
    const all: SeriesLine[] = [
      ...engineLines,
      ...sampleLines('server_cpu_percent', tags, serverSampler.samples, (s) => s.cpuPercent),
      ...sampleLines('server_cpu_user_percent', tags, serverSampler.samples, (s) => s.userPercent),
      ...sampleLines(
        'server_cpu_system_percent',
        tags,
        serverSampler.samples,
        (s) => s.systemPercent,
      ),
      ...sampleLines('server_rss_mib', tags, serverSampler.samples, (s) => s.rssMiB),
      ...sampleLines('generator_cpu_percent', tags, generatorSampler.samples, (s) => s.cpuPercent),
      ...sampleLines('generator_rss_mib', tags, generatorSampler.samples, (s) => s.rssMiB),
      ...(relaySampler === null
        ? []
        : sampleLines('relay_cpu_percent', tags, relaySampler.samples, (s) => s.cpuPercent)),
      ...(nginxSampler === null
        ? []
        : sampleLines('nginx_cpu_percent', tags, nginxSampler.samples, (s) => s.cpuPercent)),
      ...(redisSampler === null
        ? []
        : sampleLines('redis_cpu_percent', tags, redisSampler.samples, (s) => s.cpuPercent)),
      ...clients.map((c): SeriesLine => ({
        t: Math.floor(c.t),
        metric: 'server_clients',
        tags,
        type: 'gauge',
        value: c.value,
      })),
    ].sort((a, b) => a.t - b.t)
    writeFileSync(seriesFile, all.map((l) => JSON.stringify(l)).join('\n') + '\n')

    const partOf = (sampler: ProcessSampler): WindowSummary =>
      summariseSamples(sampler.samples, from, to)
    return {
      protocol: plan.protocol,
      design: plan.design,
      topology,
      ...(plan.encoding === undefined ? {} : { encoding: plan.encoding }),
      ...(plan.network === undefined || plan.network === 'loopback'
        ? {}
        : { network: plan.network }),
      loadProcesses: processCount,
      engine: plan.engine,
      connections: plan.connections,
      connected,
      holdS: windowS,
      latencyMs: latency,
      connectMs: trendOf(summary, 'feed_connect'),
      pingMs: summary.metrics['feed_ping'] === undefined ? null : trendOf(summary, 'feed_ping'),
      recoveryMs:
        summary.metrics['feed_recovery'] === undefined ? null : trendOf(summary, 'feed_recovery'),
      framesExpected,
      framesScheduled,
      framesReceived,
      gaps,
      resets,
      bytesPerFrame,
      server: { ...serverWin, rssPerConnectionKiB },
      ...(nginxSampler === null || redisSampler === null
        ? {}
        : { serverParts: { nginx: partOf(nginxSampler), redis: partOf(redisSampler) } }),
      generator: { ...genWin, eventLoopDelayP99Ms },
      ...(server.link === null
        ? {}
        : {
            link: {
              network: server.link.profile.name,
              rttMs: server.link.profile.rttMs,
              relay:
                relayWin === null || relaySummary === null
                  ? null
                  : {
                      ...relaySummary,
                      chunksPerS: relayWin.chunksPerS,
                      latePercent: relayWin.latePercent,
                      meanLateMs: relayWin.meanLateMs,
                      maxLateMs: relayWin.maxLateMs,
                    },
              ...lossOver(server.link, lossAtStart),
            },
          }),
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
    nginxSampler?.stop()
    redisSampler?.stop()
    generatorSampler?.stop()
    relaySampler?.stop()
    for (const child of children) await stopChild(child)
    await server.stop()
  }
}

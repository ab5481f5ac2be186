/**
 * A step's figures from what it recorded: the measurement window, delivery, latency, the
 * server's and the generator's share of the machine, validity and the budget verdict, and
 * the series file's lines. Pure: no I/O, no clock; `runStep` records, this derives, so the
 * rules can be tested on recorded samples.
 */
import { PROTOCOL_TABLE } from '../../servers/transports/protocols.ts'
import { summariseSamples, type ProcessSample, type WindowSummary } from '../kit/process-sampler.ts'
import { counterSum, gaugeMax, trendMaxP99, type SeriesLine } from '../kit/series.ts'
import { linkShortfalls, relayWindow, type RelayWindow } from '../network/link.ts'
import { SATURATION } from './defaults.ts'
import { countOf, hasP99, trendOf, type K6Summary } from './k6-summary.ts'
import { effectiveBudgetMs, underDelivered } from './ladder.ts'
import type { StepResult } from './report-schema.ts'
import type { StepPlan } from './step-plan.ts'

/** The server's client count, read once a second. */
export interface ClientReading {
  t: number
  value: number
}

/** One relay stats line: its counters at `t` (Unix s). */
export interface RelayLine {
  t: number
  chunks: number
  lateChunks: number
  lateMsSum: number
  maxLateMs: number
}

/** What a step recorded; everything {@link deriveStep} reads. */
export interface StepRecord {
  /** When the engines were started, Unix s. */
  engineStart: number
  /** The engine's end-of-test export (merged over processes). */
  summary: K6Summary
  /** The engine's per-second lines, in time order. */
  engineLines: SeriesLine[]
  /** Process samples over the step; null where that process does not exist. */
  samples: {
    server: readonly ProcessSample[]
    generator: readonly ProcessSample[]
    relay: readonly ProcessSample[] | null
    nginx: readonly ProcessSample[] | null
    redis: readonly ProcessSample[] | null
  }
  clients: readonly ClientReading[]
  /** Server RSS after start-up, before any client. */
  rssBeforeMiB: number
  /** The link under test: its profile, the relay's stats lines, and what the loss namespace did. */
  link: {
    name: string
    rttMs: number
    relayLines: readonly RelayLine[] | null
    loss?: { percent: number; packets: number; dropped: number; retransmitted: number }
  } | null
  /** Cores of the machine, for the generator's saturation bound. */
  cores: number
}

/** The measurement window: whole seconds `[from, to)` after the ramp. */
export interface StepWindow {
  from: number
  to: number
  seconds: number
}

/**
 * The scenario starts in the first second with a running VU or a feed metric, whichever comes
 * first; the window follows the ramp. k6 samples `vus` once a second from 0, so its first
 * second with VUs above 0 is a second late: the first connection is not. Whole seconds only:
 * the first and last partial seconds are left out.
 */
export function stepWindow(plan: StepPlan, record: StepRecord): StepWindow {
  const vuTimes = record.engineLines
    .filter((l) => l.metric === 'vus' && l.type === 'gauge' && l.value > 0)
    .map((l) => l.t)
  const feedTimes = record.engineLines.filter((l) => l.metric.startsWith('feed_')).map((l) => l.t)
  const startTimes = [...vuTimes, ...feedTimes]
  const t0 = startTimes.length > 0 ? Math.min(...startTimes) : Math.floor(record.engineStart)
  const seconds = Math.max(1, plan.holdS - 1)
  const from = t0 + plan.rampS + 1
  return { from, to: from + seconds, seconds }
}

/**
 * Clients the server held in the window: the most it counted, at most one per VU (a client
 * that drops and reconnects on purpose, as feed-drop.ts does, can be counted twice for a
 * moment, its new connection open before the server closed the old one).
 */
export function connectedIn(plan: StepPlan, record: StepRecord, window: StepWindow): number {
  const inWindow = record.clients
    .filter((c) => c.t >= window.from && c.t < window.to)
    .map((c) => c.value)
  const readings = inWindow.length > 0 ? inWindow : record.clients.map((c) => c.value)
  return Math.min(plan.connections, Math.round(Math.max(0, ...readings)))
}

/** Frames received, due while connected, and scheduled for every client throughout. */
function deliveryIn(plan: StepPlan, record: StepRecord, window: StepWindow) {
  const framesReceived = Math.round(
    counterSum(record.engineLines, 'feed_frames', window.from, window.to),
  )
  // Due while connected: received plus found missing, filed in the same seconds, so delivery
  // cannot pass 100 %; the schedule (every client connected throughout) judges under-delivery.
  const framesExpected =
    framesReceived + Math.round(counterSum(record.engineLines, 'feed_gaps', window.from, window.to))
  const framesScheduled = Math.round(plan.connections * plan.rateHz * window.seconds)
  return { framesReceived, framesExpected, framesScheduled }
}

/** Delivery latency; without a p(99) in the export, the window's highest per-second p99 bounds it. */
function latencyOf(record: StepRecord, window: StepWindow): StepResult['latencyMs'] {
  const latency = trendOf(record.summary, 'feed_latency')
  if (hasP99(record.summary, 'feed_latency')) return latency
  return {
    ...latency,
    p99: Math.max(
      latency.p95,
      trendMaxP99(record.engineLines, 'feed_latency', window.from, window.to) ?? latency.max,
    ),
  }
}

/** Why the step measured the instrument rather than the server; empty when it is valid. */
export function invalidReasons(
  record: StepRecord,
  generator: WindowSummary,
  eventLoopDelayP99Ms: number | null,
  relay: RelayWindow | null,
): string[] {
  const reasons: string[] = []
  if (relay !== null && record.link !== null)
    reasons.push(...linkShortfalls(relay, record.link.rttMs / 2))
  if (generator.cpuPercent >= SATURATION.cpuShareOfCores * record.cores * 100)
    reasons.push(
      `generator CPU ${generator.cpuPercent.toFixed(0)} % of ${String(record.cores)} cores`,
    )
  if (eventLoopDelayP99Ms !== null && eventLoopDelayP99Ms > SATURATION.eventLoopDelayP99Ms)
    reasons.push(`generator event-loop delay p99 ${eventLoopDelayP99Ms.toFixed(0)} ms`)
  return reasons
}

/** The relay's share of the window, or null without a relay. */
function relayIn(record: StepRecord, window: StepWindow) {
  if (record.samples.relay === null || record.link?.relayLines == null) return null
  const summary = summariseSamples(record.samples.relay, window.from, window.to)
  const counters = relayWindow(record.link.relayLines, summary.cpuPercent, window.from, window.to)
  return counters === null ? null : { summary, counters }
}

/** The series file's lines: the engine's, then the bench's own samples and client counts. */
export function seriesLines(plan: StepPlan, record: StepRecord): SeriesLine[] {
  const tags = { protocol: plan.protocol }
  const lines = (
    metric: string,
    samples: readonly ProcessSample[] | null,
    pick: (s: ProcessSample) => number,
  ): SeriesLine[] =>
    (samples ?? []).map((s) => ({
      t: Math.floor(s.t),
      metric,
      tags,
      type: 'gauge',
      value: pick(s),
    }))
  const { server, generator, relay, nginx, redis } = record.samples
  return [
    ...record.engineLines,
    ...lines('server_cpu_percent', server, (s) => s.cpuPercent),
    ...lines('server_cpu_user_percent', server, (s) => s.userPercent),
    ...lines('server_cpu_system_percent', server, (s) => s.systemPercent),
    ...lines('server_rss_mib', server, (s) => s.rssMiB),
    ...lines('generator_cpu_percent', generator, (s) => s.cpuPercent),
    ...lines('generator_rss_mib', generator, (s) => s.rssMiB),
    ...lines('relay_cpu_percent', relay, (s) => s.cpuPercent),
    ...lines('nginx_cpu_percent', nginx, (s) => s.cpuPercent),
    ...lines('redis_cpu_percent', redis, (s) => s.cpuPercent),
    ...record.clients.map((c): SeriesLine => ({
      t: Math.floor(c.t),
      metric: 'server_clients',
      tags,
      type: 'gauge',
      value: c.value,
    })),
  ].sort((a, b) => a.t - b.t)
}

/**
 * The step's result from its record. `files` are the summary and series paths relative to
 * the run folder.
 */
export function deriveStep(
  plan: StepPlan,
  record: StepRecord,
  files: StepResult['files'],
): StepResult {
  const window = stepWindow(plan, record)
  const within = (samples: readonly ProcessSample[]): WindowSummary =>
    summariseSamples(samples, window.from, window.to)
  const server = within(record.samples.server)
  const generator = within(record.samples.generator)
  const connected = connectedIn(plan, record, window)
  const delivery = deliveryIn(plan, record, window)
  const gaps = Math.round(countOf(record.summary, 'feed_gaps'))
  const latency = latencyOf(record, window)
  const allFrames = countOf(record.summary, 'feed_frames')
  const dataReceived = countOf(record.summary, 'data_received')
  // Poll clients hold no connection between requests: memory is per client (VU) there.
  const perConnection = PROTOCOL_TABLE[plan.protocol].holdsConnection ? connected : plan.connections
  const eventLoopDelayP99Ms =
    plan.engine === 'k6'
      ? null
      : gaugeMax(record.engineLines, 'engine_event_loop_delay_p99', window.from, window.to)
  const relay = relayIn(record, window)
  const reasons = invalidReasons(record, generator, eventLoopDelayP99Ms, relay?.counters ?? null)
  const lostFrames =
    gaps > 0 ||
    underDelivered(
      { protocol: plan.protocol, ...delivery, holdS: window.seconds },
      plan.pollIntervalS,
    )
  const { nginx, redis } = record.samples
  const summary = record.summary
  return {
    protocol: plan.protocol,
    design: plan.design,
    topology: plan.topology ?? 'single',
    ...(plan.encoding === undefined ? {} : { encoding: plan.encoding }),
    ...(plan.network === undefined || plan.network === 'loopback' ? {} : { network: plan.network }),
    loadProcesses: plan.loadProcesses ?? 1,
    engine: plan.engine,
    connections: plan.connections,
    connected,
    holdS: window.seconds,
    latencyMs: latency,
    connectMs: trendOf(summary, 'feed_connect'),
    pingMs: summary.metrics['feed_ping'] === undefined ? null : trendOf(summary, 'feed_ping'),
    recoveryMs:
      summary.metrics['feed_recovery'] === undefined ? null : trendOf(summary, 'feed_recovery'),
    ...delivery,
    gaps,
    resets: Math.round(countOf(summary, 'feed_resets')),
    bytesPerFrame: allFrames > 0 && dataReceived > 0 ? dataReceived / allFrames : null,
    server: {
      ...server,
      rssPerConnectionKiB:
        perConnection > 0 ? ((server.rssMiB - record.rssBeforeMiB) * 1024) / perConnection : null,
    },
    ...(nginx === null || redis === null
      ? {}
      : { serverParts: { nginx: within(nginx), redis: within(redis) } }),
    generator: { ...generator, eventLoopDelayP99Ms },
    ...(record.link === null
      ? {}
      : {
          link: {
            network: record.link.name,
            rttMs: record.link.rttMs,
            relay:
              relay === null
                ? null
                : {
                    ...relay.summary,
                    chunksPerS: relay.counters.chunksPerS,
                    latePercent: relay.counters.latePercent,
                    meanLateMs: relay.counters.meanLateMs,
                    maxLateMs: relay.counters.maxLateMs,
                  },
            ...(record.link.loss === undefined ? {} : { loss: record.link.loss }),
          },
        }),
    valid: reasons.length === 0,
    invalidReason: reasons.length === 0 ? null : reasons.join('; '),
    withinBudget: latency.p95 <= effectiveBudgetMs(plan) && !lostFrames,
    files,
  }
}

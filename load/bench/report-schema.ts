/**
 * The schema of `results/<run-id>/report.json`: the comparison that the terminal table,
 * `--compare` and the site read. Documented field by field in `results/README.md`.
 *
 * Every figure in it was measured by `npm run bench`; nothing here is typed by hand.
 */
import { z } from 'zod'

/** Bumped when a field changes meaning or is removed. */
export const REPORT_SCHEMA_VERSION = 1

const protocol = z.enum(['websocket', 'sse', 'long-poll', 'short-poll'])

/** Latency or time distribution in milliseconds, percentiles computed as k6 does. */
const distribution = z.object({
  avg: z.number(),
  min: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
})

/** CPU and memory of one process over a step's measured window. */
const processSample = z.object({
  /** Mean CPU over the window, percent of one core (200 = both cores of a 2-core machine). */
  cpuPercent: z.number(),
  /** Peak CPU in any one-second sample, percent of one core. */
  cpuPeakPercent: z.number(),
  /** Resident set size at the end of the window, MiB. */
  rssMiB: z.number(),
  /** Peak resident set size, MiB. */
  rssPeakMiB: z.number(),
})

/** One rung of the ladder: one protocol, one design, one connection count. */
export const stepSchema = z.object({
  protocol,
  /** `reference` is this project's server; `baseline` the seeds' per-connection-timer design. */
  design: z.enum(['reference', 'baseline']),
  /** Target concurrent connections (VUs). */
  connections: z.number().int().positive(),
  /** Peak connections the server reported open during the window. */
  connected: z.number().int().nonnegative(),
  /** Length of the measured (steady) window, seconds. */
  holdS: z.number().positive(),
  /** Delivery latency: client receive time − frame `t`, steady window only. */
  latencyMs: distribution,
  /** Time to open a connection (or the first poll reply). */
  connectMs: distribution,
  /** Frames each client should have seen in the window, summed over clients. */
  framesExpected: z.number().int().nonnegative(),
  framesReceived: z.number().int().nonnegative(),
  /** Frames a client found missing (seq jumps not covered by a reset). */
  gaps: z.number().int().nonnegative(),
  resets: z.number().int().nonnegative(),
  /** Bytes on the wire per delivered frame, headers and framing included; null when not measured. */
  bytesPerFrame: z.number().nullable(),
  server: processSample.extend({
    /** (RSS at the end − RSS before any client connected) / connected, KiB. */
    rssPerConnectionKiB: z.number().nullable(),
  }),
  generator: processSample.extend({
    /** p99 event-loop delay of the load generator, ms; null for a stock k6 run. */
    eventLoopDelayP99Ms: z.number().nullable(),
  }),
  /** False when the load generator, not the server, was the limit. */
  valid: z.boolean(),
  invalidReason: z.string().nullable(),
  /** p95 within the budget and no frames lost. */
  withinBudget: z.boolean(),
  /** Paths relative to the run folder. */
  files: z.object({
    summary: z.string(),
    series: z.string(),
  }),
})

/** How far one protocol's ladder went. */
export const ladderSchema = z.object({
  protocol,
  design: z.enum(['reference', 'baseline']),
  /** Most connections of a valid step within the budget; 0 when the first step failed. */
  maxConnectionsWithinBudget: z.number().int().nonnegative(),
  /** Connection count of the step that ended the ladder, null when every step passed. */
  stoppedAt: z.number().int().positive().nullable(),
  stopReason: z.string().nullable(),
})

/** The whole `report.json`. */
export const reportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  runId: z.string(),
  /** ISO 8601. */
  createdAt: z.string(),
  /** Human label for the machine, e.g. "2 cores, AMD EPYC 7B13, 24 GiB". */
  machineLabel: z.string(),
  /** `quick`, `full` or `custom`. */
  profile: z.enum(['quick', 'full', 'custom']),
  parameters: z.object({
    steps: z.array(z.number().int().positive()),
    holdS: z.number().positive(),
    rampS: z.number().nonnegative(),
    rateHz: z.number().positive(),
    budgetMs: z.number().positive(),
    pollIntervalS: z.number().positive(),
    engine: z.string(),
  }),
  steps: z.array(stepSchema),
  ladders: z.array(ladderSchema),
})

export type StepResult = z.infer<typeof stepSchema>
export type LadderResult = z.infer<typeof ladderSchema>
export type Report = z.infer<typeof reportSchema>

/**
 * The figures a question or a page may cite, by id. `pick` reads one from a step;
 * a citation names the id, a protocol and a connection count, never the value.
 */
export const METRICS = {
  'latency.p50': { label: 'p50 latency', unit: 'ms', pick: (s: StepResult) => s.latencyMs.p50 },
  'latency.p95': { label: 'p95 latency', unit: 'ms', pick: (s: StepResult) => s.latencyMs.p95 },
  'latency.p99': { label: 'p99 latency', unit: 'ms', pick: (s: StepResult) => s.latencyMs.p99 },
  'latency.max': { label: 'max latency', unit: 'ms', pick: (s: StepResult) => s.latencyMs.max },
  'connect.p95': {
    label: 'p95 connect time',
    unit: 'ms',
    pick: (s: StepResult) => s.connectMs.p95,
  },
  gaps: { label: 'frames lost', unit: 'frames', pick: (s: StepResult) => s.gaps },
  resets: { label: 'resets', unit: 'resets', pick: (s: StepResult) => s.resets },
  bytesPerFrame: {
    label: 'bytes on the wire per frame',
    unit: 'B',
    pick: (s: StepResult) => s.bytesPerFrame,
  },
  'server.cpu': {
    label: 'server CPU',
    unit: '% of a core',
    pick: (s: StepResult) => s.server.cpuPercent,
  },
  'server.rss': { label: 'server RSS', unit: 'MiB', pick: (s: StepResult) => s.server.rssMiB },
  'server.rssPerConnection': {
    label: 'server memory per connection',
    unit: 'KiB',
    pick: (s: StepResult) => s.server.rssPerConnectionKiB,
  },
  'generator.cpu': {
    label: 'load generator CPU',
    unit: '% of a core',
    pick: (s: StepResult) => s.generator.cpuPercent,
  },
  deliveryRatio: {
    label: 'frames delivered',
    unit: '%',
    pick: (s: StepResult) =>
      s.framesExpected === 0 ? null : (100 * s.framesReceived) / s.framesExpected,
  },
} as const satisfies Record<
  string,
  { label: string; unit: string; pick: (s: StepResult) => number | null }
>

/** An id of {@link METRICS}. */
export type MetricId = keyof typeof METRICS

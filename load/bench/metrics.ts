/**
 * The metric registry: every figure of a ladder step that is shown, compared or cited — its
 * label, unit, which way is better, how it is read from the step, and where it is shown (a
 * column of the bench's end table, a line of `--compare`, a chart on the results page). The
 * terminal table, the comparison, the site's charts and its citations (`<Measured id>`) read
 * this table. A new metric is one entry here, plus its field in `report-schema.ts` and where
 * `step-runner.ts` measures it, when the step does not hold it already.
 */
import { deliveredPercent } from './ladder.ts'
import { oneWayMs, type StepResult } from './report-schema.ts'

/** One metric of a step. */
export interface MetricSpec {
  /** How it is written in prose, chart titles and citations. */
  readonly label: string
  /** Its unit, as printed after a value (`ms`, `KiB`, `% of a core`). */
  readonly unit: string
  /** Which way is better: `lower` (latency, cost, loss) or `higher` (delivery). */
  readonly better: 'lower' | 'higher'
  /** Decimals shown. */
  readonly digits: number
  /**
   * Its column in the bench's end table (absent: not a column). When the terminal is too narrow
   * for every column, the columns of lowest `priority` number are kept (1 is the last to go);
   * `--wide` shows them all.
   */
  readonly column?: { readonly heading: string; readonly priority: number }
  /** Heading of its change in `--compare`; absent: not compared. */
  readonly delta?: string
  /** Whether the results page charts it, every protocol against connections. */
  readonly charted?: boolean
  /** Its value in a step; null when the step has none. */
  readonly pick: (step: StepResult) => number | null
}

/** The registry, in the order of the end table's columns. */
export const METRICS = {
  'latency.p50': {
    label: 'p50 latency',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    column: { heading: 'p50 ms', priority: 6 },
    delta: 'Δ p50 ms',
    pick: (s: StepResult) => s.latencyMs.p50,
  },
  'latency.p95': {
    label: 'p95 latency',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    column: { heading: 'p95 ms', priority: 1 },
    delta: 'Δ p95 ms',
    charted: true,
    pick: (s: StepResult) => s.latencyMs.p95,
  },
  'latency.p99': {
    label: 'p99 latency',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    column: { heading: 'p99 ms', priority: 3 },
    delta: 'Δ p99 ms',
    charted: true,
    pick: (s: StepResult) => s.latencyMs.p99,
  },
  'latency.p95BeyondLink': {
    label: 'p95 latency beyond the link’s one-way delay',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    pick: (s: StepResult) => s.latencyMs.p95 - oneWayMs(s),
  },
  'latency.max': {
    label: 'max latency',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    column: { heading: 'max ms', priority: 9 },
    pick: (s: StepResult) => s.latencyMs.max,
  },
  deliveryRatio: {
    label: 'frames delivered',
    unit: '%',
    better: 'higher',
    digits: 1,
    column: { heading: 'deliv%', priority: 2 },
    charted: true,
    pick: (s: StepResult) => deliveredPercent(s),
  },
  gaps: {
    label: 'frames lost',
    unit: 'frames',
    better: 'lower',
    digits: 0,
    column: { heading: 'gaps', priority: 7 },
    delta: 'Δ gaps',
    charted: true,
    pick: (s: StepResult) => s.gaps,
  },
  resets: {
    label: 'resets',
    unit: 'resets',
    better: 'lower',
    digits: 0,
    column: { heading: 'resets', priority: 13 },
    pick: (s: StepResult) => s.resets,
  },
  'connect.p95': {
    label: 'p95 connect time',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    column: { heading: 'conn p95', priority: 11 },
    pick: (s: StepResult) => s.connectMs.p95,
  },
  'ping.p95': {
    label: 'p95 upstream round trip (ping to pong)',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    column: { heading: 'ping p95', priority: 17 },
    delta: 'Δ ping p95',
    pick: (s: StepResult) => s.pingMs?.p95 ?? null,
  },
  'recovery.p50': {
    label: 'median time to recover after a dropped connection',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    pick: (s: StepResult) => s.recoveryMs?.p50 ?? null,
  },
  'recovery.p95': {
    label: 'p95 time to recover after a dropped connection',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    column: { heading: 'recov p95', priority: 18 },
    delta: 'Δ recovery p95',
    pick: (s: StepResult) => s.recoveryMs?.p95 ?? null,
  },
  bytesPerFrame: {
    label: 'bytes on the wire per frame',
    unit: 'B',
    better: 'lower',
    digits: 0,
    column: { heading: 'B/frame', priority: 10 },
    pick: (s: StepResult) => s.bytesPerFrame,
  },
  'server.cpu': {
    label: 'server CPU',
    unit: '% of a core',
    better: 'lower',
    digits: 1,
    column: { heading: 'srv CPU%', priority: 4 },
    delta: 'Δ srv CPU%',
    charted: true,
    pick: (s: StepResult) => s.server.cpuPercent,
  },
  'server.cpuUser': {
    label: 'server CPU in user space',
    unit: '% of a core',
    better: 'lower',
    digits: 0,
    column: { heading: 'usr%', priority: 15 },
    pick: (s: StepResult) => s.server.cpuUserPercent ?? null,
  },
  'server.cpuSystem': {
    label: 'server CPU in the kernel',
    unit: '% of a core',
    better: 'lower',
    digits: 0,
    column: { heading: 'sys%', priority: 16 },
    pick: (s: StepResult) => s.server.cpuSystemPercent ?? null,
  },
  'server.rss': {
    label: 'server RSS',
    unit: 'MiB',
    better: 'lower',
    digits: 1,
    column: { heading: 'srv MiB', priority: 12 },
    pick: (s: StepResult) => s.server.rssMiB,
  },
  'server.rssPerConnection': {
    label: 'server memory per connection',
    unit: 'KiB',
    better: 'lower',
    digits: 1,
    column: { heading: 'KiB/conn', priority: 5 },
    delta: 'Δ KiB/conn',
    charted: true,
    pick: (s: StepResult) => s.server.rssPerConnectionKiB,
  },
  'generator.cpu': {
    label: 'load generator CPU',
    unit: '% of a core',
    better: 'lower',
    digits: 1,
    column: { heading: 'gen CPU%', priority: 8 },
    delta: 'Δ gen CPU%',
    charted: true,
    pick: (s: StepResult) => s.generator.cpuPercent,
  },
  'generator.eventLoopDelay': {
    label: 'load generator event-loop delay p99',
    unit: 'ms',
    better: 'lower',
    digits: 1,
    column: { heading: 'gen ELD', priority: 14 },
    pick: (s: StepResult) => s.generator.eventLoopDelayP99Ms,
  },
} as const satisfies Readonly<Record<string, MetricSpec>>

/** An id of {@link METRICS}. */
export type MetricId = keyof typeof METRICS

/** Every metric id, in registry order. */
export const METRIC_IDS = Object.keys(METRICS) as MetricId[]

/** Whether `id` names a metric of the registry. */
export const isMetricId = (id: string): id is MetricId => Object.hasOwn(METRICS, id)

/** The spec of `id` (as the interface, so optional parts read as optional). */
export const metricOf = (id: MetricId): MetricSpec => METRICS[id]

/** A metric's value as the table and the comparison print it; `–` when the step has none. */
export function formatMetric(id: MetricId, step: StepResult): string {
  const spec = metricOf(id)
  const value = spec.pick(step)
  return value === null ? '–' : value.toFixed(spec.digits)
}

/** A metric id as a chart id or anchor: `server.rssPerConnection` → `server-rss-per-connection`. */
export function metricSlug(id: MetricId): string {
  return id.replace(/\./g, '-').replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)
}

/** A chart's title for a metric: its label and unit. */
export function metricTitle(id: MetricId): string {
  const spec = metricOf(id)
  return `${spec.label.charAt(0).toUpperCase()}${spec.label.slice(1)} (${spec.unit})`
}

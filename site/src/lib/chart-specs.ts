/**
 * Turns a run into chart descriptions the uPlot island draws. Pure data in, plain JSON out:
 * the page embeds the JSON, the browser script renders it.
 */
import { PROTOCOLS, type Protocol } from '../../../servers/transports/protocols.ts'
import type { StepResult } from '../../../load/bench/report-schema.ts'
import {
  METRIC_IDS,
  metricOf,
  metricSlug,
  metricTitle,
  type MetricId,
} from '../../../load/bench/metrics.ts'
import type { RunEntry } from './results-loader.ts'
import { PROTOCOL_COLOURS, PROTOCOL_LABELS } from './labels.ts'

/** One line of a chart. */
export interface ChartLine {
  label: string
  colour: string
  /** One value per x; null where the step has no value. */
  values: (number | null)[]
  dashed?: boolean
  /**
   * Per x, why that point's step is not valid (the load generator was the limit), or null:
   * such points are drawn hollow and listed under the chart.
   */
  invalid?: (string | null)[]
}

/** What the chart island needs to draw one chart. */
export interface ChartSpec {
  /** Stable id, used by tests and anchors, e.g. `latency-websocket`. */
  id: string
  title: string
  xLabel: string
  yLabel: string
  /** Logarithmic x axis (connection ladders span 100 to 10 000). */
  xLog: boolean
  x: number[]
  /** Names for a categorical x axis: `x` is then 0, 1, 2, … and each tick shows its name. */
  xLabels?: string[]
  lines: ChartLine[]
  /** x ranges to shade: steps where the load generator, not the server, was the limit. */
  shaded: [number, number][]
  /** The y axis starts at 0 (the metric has a natural zero); otherwise it fits the data. */
  yFromZero?: boolean
}

const byConnections = (a: StepResult, b: StepResult): number => a.connections - b.connections

/** The reference-design steps of one protocol, in ladder order. */
export const stepsOf = (
  run: RunEntry,
  protocol: Protocol,
  design: 'reference' | 'baseline' = 'reference',
): StepResult[] =>
  run.steps
    .filter((step) => step.protocol === protocol && step.design === design)
    .sort(byConnections)

/** Protocols that have at least one reference step in the run. */
/**
 * A line's points from its steps (one per x position, `undefined` where none was measured): the
 * picked value, and why a step that did not hold is marked (`fallback` when it gave no reason).
 */
export function pointsOf(
  steps: readonly (StepResult | undefined)[],
  pick: (step: StepResult) => number | null,
  fallback: string,
): Pick<ChartLine, 'values' | 'invalid'> {
  return {
    values: steps.map((step) => (step === undefined ? null : pick(step))),
    invalid: steps.map((step) =>
      step === undefined || step.valid ? null : (step.invalidReason ?? fallback),
    ),
  }
}

export const protocolsIn = (run: RunEntry): Protocol[] =>
  PROTOCOLS.filter((protocol) => stepsOf(run, protocol).length > 0)

/** Shading around each invalid step: from the midpoint to its left neighbour to the midpoint to its right one. */
function shadedRanges(x: number[], invalid: boolean[], log: boolean): [number, number][] {
  const mid = (a: number, b: number): number => (log ? Math.sqrt(a * b) : (a + b) / 2)
  const ranges: [number, number][] = []
  x.forEach((value, index) => {
    if (!invalid[index]) return
    const left = index > 0 ? mid(x[index - 1] ?? value, value) : value
    const right = index < x.length - 1 ? mid(value, x[index + 1] ?? value) : value
    ranges.push([left, right])
  })
  return ranges
}

const isLog = (x: number[]): boolean =>
  x.length > 1 && (x[0] ?? 0) > 0 && (x.at(-1) ?? 0) / (x[0] ?? 1) >= 10

/** Latency p50/p95/p99 against connection count, one chart per protocol (baseline dashed when run). */
export function latencyChart(run: RunEntry, protocol: Protocol): ChartSpec {
  const steps = stepsOf(run, protocol)
  const baseline = stepsOf(run, protocol, 'baseline')
  const x = [...new Set([...steps, ...baseline].map((step) => step.connections))].sort(
    (a, b) => a - b,
  )
  const at = (list: StepResult[], count: number): StepResult | undefined =>
    list.find((step) => step.connections === count)
  const colour = PROTOCOL_COLOURS[protocol]
  const lines: ChartLine[] = [
    {
      label: 'p50',
      colour: `${colour}80`,
      values: x.map((count) => at(steps, count)?.latencyMs.p50 ?? null),
    },
    { label: 'p95', colour, values: x.map((count) => at(steps, count)?.latencyMs.p95 ?? null) },
    {
      label: 'p99',
      colour: '#a855f7',
      values: x.map((count) => at(steps, count)?.latencyMs.p99 ?? null),
    },
  ]
  if (baseline.length > 0) {
    lines.push({
      label: 'p95 baseline',
      colour: '#9ca3af',
      dashed: true,
      values: x.map((count) => at(baseline, count)?.latencyMs.p95 ?? null),
    })
  }
  const xLog = isLog(x)
  return {
    id: `latency-${protocol}`,
    title: `${PROTOCOL_LABELS[protocol]}: delivery latency`,
    xLabel: 'connections',
    yLabel: 'ms',
    xLog,
    x,
    lines,
    shaded: shadedRanges(
      x,
      x.map((count) => at(steps, count)?.valid === false),
      xLog,
    ),
  }
}

/** The metrics of the registry that the results page charts, in registry order. */
export const CHARTED_METRICS: readonly MetricId[] = METRIC_IDS.filter(
  (id) => metricOf(id).charted === true,
)

/** The charted metrics `run` measured (a metric added after the run has no values in it). */
export const chartedMetricsOf = (run: RunEntry): MetricId[] =>
  CHARTED_METRICS.filter((id) => run.steps.some((step) => metricOf(id).pick(step) !== null))

/** One metric of the registry, one line per protocol against connection count. */
export function metricChart(run: RunEntry, metric: MetricId): ChartSpec {
  const spec = metricOf(metric)
  return perProtocolChart(run, metricSlug(metric), metricTitle(metric), spec.unit, spec.pick)
}

/** One value per protocol against connection count. */
function perProtocolChart(
  run: RunEntry,
  id: string,
  title: string,
  yLabel: string,
  pick: (step: StepResult) => number | null,
): ChartSpec {
  const protocols = protocolsIn(run)
  const x = [
    ...new Set(
      protocols.flatMap((protocol) => stepsOf(run, protocol).map((step) => step.connections)),
    ),
  ].sort((a, b) => a - b)
  return {
    id,
    title,
    xLabel: 'connections',
    yLabel,
    xLog: isLog(x),
    x,
    lines: protocols.flatMap((protocol) =>
      (['reference', 'baseline'] as const).flatMap((design): ChartLine[] => {
        const steps = stepsOf(run, protocol, design)
        if (steps.length === 0) return []
        const atX = x.map((count) => steps.find((candidate) => candidate.connections === count))
        return [
          {
            label: `${PROTOCOL_LABELS[protocol]}${design === 'baseline' ? ' (baseline)' : ''}`,
            colour: PROTOCOL_COLOURS[protocol],
            ...(design === 'baseline' ? { dashed: true } : {}),
            ...pointsOf(atX, pick, 'saturated'),
          },
        ]
      }),
    ),
    // Every protocol on one chart: which point is invalid is marked on the point, not a band.
    shaded: [],
    yFromZero: true,
  }
}

/** p95 latency second by second, one line per ladder step, for one protocol. Null when no series was recorded. */
export function latencyOverTimeChart(run: RunEntry, protocol: Protocol): ChartSpec | null {
  const indexed = run.steps
    .map((step, index) => ({ step, series: run.series[index] ?? [] }))
    .filter(
      ({ step, series }) =>
        step.protocol === protocol && step.design === 'reference' && series.length > 0,
    )
    .sort((a, b) => byConnections(a.step, b.step))
  if (indexed.length === 0) return null
  // Only the seconds with a latency figure: the ramp before the window has none.
  const x = [
    ...new Set(
      indexed.flatMap(({ series }) =>
        series.filter((point) => point.p95 !== null).map((point) => point.s),
      ),
    ),
  ].sort((a, b) => a - b)
  // One clearly different hue per step, in ladder order (cool for few connections, warm for many).
  const shades = ['#0284c7', '#16a34a', '#ca8a04', '#ea580c', '#dc2626', '#7c3aed']
  return {
    id: `over-time-${protocol}`,
    title: `${PROTOCOL_LABELS[protocol]}: p95 latency over time, per step`,
    xLabel: 'seconds into the step',
    yLabel: 'ms',
    xLog: false,
    x,
    lines: indexed.map(({ step, series }, index) => ({
      label: `${step.connections.toLocaleString('en-GB')} conn.${step.valid ? '' : ' (invalid)'}`,
      colour: shades[Math.min(index, shades.length - 1)] ?? '#3b82f6',
      dashed: !step.valid,
      values: x.map((second) => series.find((point) => point.s === second)?.p95 ?? null),
    })),
    shaded: [],
  }
}

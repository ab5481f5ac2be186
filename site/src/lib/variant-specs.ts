/**
 * The variant comparison of a run (issues #8 and #9): single server against `cluster-N`
 * (`bench --cluster N`), and JSON frames against binary (`bench --encodings json,binary`), each
 * drawn against the default variant of the same run. Pure data in, chart specs and table rows out.
 */
import {
  isDefaultVariant,
  variantLabel,
  type StepResult,
  type Variant,
} from '../../../load/bench/report-schema.ts'
import { PROTOCOLS, type Protocol } from '../../../servers/transports/protocols.ts'
import { metricOf, metricSlug, type MetricId } from '../../../load/bench/metrics.ts'
import type { ChartLine, ChartSpec } from './chart-specs.ts'
import { PROTOCOL_COLOURS, PROTOCOL_LABELS } from './labels.ts'
import type { RunEntry } from './results-loader.ts'

/** Line colours for the non-default variants, in the order they appear (the default keeps its protocol's colour). */
const VARIANT_COLOURS = ['#a855f7', '#f97316', '#14b8a6', '#e11d48', '#84cc16'] as const

/** Which dimension a comparison varies; the other is held at its default. */
export type VariantDimension = 'topology' | 'encoding'

/** What each comparison charts (ids of the metric registry): topology costs latency and CPU; an encoding changes bytes, CPU and latency. */
const DIMENSION_METRICS: Readonly<Record<VariantDimension, readonly MetricId[]>> = {
  topology: ['latency.p99', 'server.cpu'],
  encoding: ['bytesPerFrame', 'server.cpu', 'latency.p99'],
}

/** Every reference step of the run, default variant and others, for one protocol. */
const referenceSteps = (run: RunEntry, protocol: Protocol): StepResult[] =>
  [...run.steps, ...run.variantSteps].filter(
    (step) => step.protocol === protocol && step.design === 'reference',
  )

/** The value of one dimension, with its default filled in. */
const dimensionValue = (variant: Variant, dimension: VariantDimension): string =>
  dimension === 'topology' ? (variant.topology ?? 'single') : (variant.encoding ?? 'json')

/**
 * The other dimensions are at their defaults: `json` for a topology comparison, `single` for an
 * encoding one, and loopback for both (a step over an emulated link is compared by network).
 */
const otherAtDefault = (variant: Variant, dimension: VariantDimension): boolean =>
  (variant.network ?? 'loopback') === 'loopback' &&
  (dimension === 'topology'
    ? (variant.encoding ?? 'json') === 'json'
    : (variant.topology ?? 'single') === 'single')

/** Sort key: the default first, then `cluster-2` before `cluster-10`, then by name. */
const variantOrder = (a: string, b: string): number => {
  const rank = (value: string): number => (value === 'single' || value === 'json' ? 0 : 1)
  const size = (value: string): number => Number(/(\d+)$/.exec(value)?.[1] ?? 0)
  return rank(a) - rank(b) || size(a) - size(b) || a.localeCompare(b)
}

/** One protocol's comparison along one dimension: the charts and the values they vary. */
export interface VariantComparison {
  dimension: VariantDimension
  protocol: Protocol
  /** The dimension's values, default first (e.g. `single`, `cluster-2`). */
  values: string[]
  charts: ChartSpec[]
}

const isLog = (x: number[]): boolean =>
  x.length > 1 && (x[0] ?? 0) > 0 && (x.at(-1) ?? 0) / (x[0] ?? 1) >= 10

/** Shading around each x where a compared step was invalid (the load generator was the limit). */
function shadedRanges(x: number[], invalid: boolean[], log: boolean): [number, number][] {
  const mid = (a: number, b: number): number => (log ? Math.sqrt(a * b) : (a + b) / 2)
  return x.flatMap((value, index): [number, number][] => {
    if (!invalid[index]) return []
    const left = index > 0 ? mid(x[index - 1] ?? value, value) : value
    const right = index < x.length - 1 ? mid(value, x[index + 1] ?? value) : value
    return [[left, right]]
  })
}

/**
 * One comparison per protocol and dimension that the run measured a non-default value of, with
 * the other dimension held at its default; empty when the run has no variant steps.
 */
export function variantComparisons(run: RunEntry): VariantComparison[] {
  const comparisons: VariantComparison[] = []
  for (const dimension of ['topology', 'encoding'] as const) {
    for (const protocol of PROTOCOLS) {
      const steps = referenceSteps(run, protocol).filter((step) => otherAtDefault(step, dimension))
      const values = [...new Set(steps.map((step) => dimensionValue(step, dimension)))].sort(
        variantOrder,
      )
      // A comparison needs the default and at least one other value.
      if (values.length < 2 || !values.some((value) => value === 'single' || value === 'json'))
        continue
      const x = [...new Set(steps.map((step) => step.connections))].sort((a, b) => a - b)
      const xLog = isLog(x)
      const invalid = x.map((count) =>
        steps.some((step) => step.connections === count && !step.valid),
      )
      const charts = DIMENSION_METRICS[dimension].map((metric): ChartSpec => {
        const spec = metricOf(metric)
        const lines = values.map((value, index): ChartLine => {
          const ofValue = steps.filter((step) => dimensionValue(step, dimension) === value)
          return {
            label: value,
            colour:
              index === 0
                ? PROTOCOL_COLOURS[protocol]
                : (VARIANT_COLOURS[(index - 1) % VARIANT_COLOURS.length] ?? '#a855f7'),
            ...(index === 0 ? {} : { dashed: true }),
            values: x.map((count) => {
              const step = ofValue.find((candidate) => candidate.connections === count)
              return step === undefined ? null : spec.pick(step)
            }),
          }
        })
        return {
          id: `variant-${dimension}-${protocol}-${metricSlug(metric)}`,
          title: `${PROTOCOL_LABELS[protocol]}: ${spec.label}`,
          xLabel: 'connections',
          yLabel: spec.unit,
          xLog,
          x,
          lines,
          shaded: shadedRanges(x, invalid, xLog),
        }
      })
      comparisons.push({ dimension, protocol, values, charts })
    }
  }
  return comparisons
}

/** One row of the variant table: a step and its ratios to the default variant's step. */
export interface VariantRow {
  step: StepResult
  /** `single`, `cluster-2`, `single/binary`… (the bench's own label). */
  variant: string
  isDefault: boolean
  /** The default variant's step with the same protocol and connection count, when there is one. */
  baseline: StepResult | undefined
  /** value ÷ default, per figure; null where either side has none or the default is 0. */
  ratios: { p99: number | null; cpu: number | null; bytesPerFrame: number | null }
}

const ratio = (value: number | null, base: number | null | undefined): number | null =>
  value === null || base === null || base === undefined || base === 0 ? null : value / base

/** Table order: topology (`single`, then clusters by size), then encoding (`json` first). */
const byVariant = (a: Variant, b: Variant): number =>
  variantOrder(a.topology ?? 'single', b.topology ?? 'single') ||
  variantOrder(a.encoding ?? 'json', b.encoding ?? 'json')

/** One protocol's rows of the variant table. */
export interface VariantTable {
  protocol: Protocol
  rows: VariantRow[]
}

/**
 * The tables of the comparison: for every protocol that has variant steps, each of its reference
 * steps by connection count, the default variant first, then the others.
 */
export function variantTables(run: RunEntry): VariantTable[] {
  const protocols = PROTOCOLS.filter((protocol) =>
    run.variantSteps.some((step) => step.protocol === protocol && step.design === 'reference'),
  )
  return protocols.map((protocol) => {
    const steps = referenceSteps(run, protocol)
    const rows = steps
      .map((step): VariantRow => {
        const baseline = steps.find(
          (candidate) => candidate.connections === step.connections && isDefaultVariant(candidate),
        )
        return {
          step,
          variant: variantLabel(step),
          isDefault: isDefaultVariant(step),
          baseline,
          ratios: {
            p99: ratio(step.latencyMs.p99, baseline?.latencyMs.p99),
            cpu: ratio(step.server.cpuPercent, baseline?.server.cpuPercent),
            bytesPerFrame: ratio(step.bytesPerFrame, baseline?.bytesPerFrame),
          },
        }
      })
      .sort((a, b) => a.step.connections - b.step.connections || byVariant(a.step, b.step))
    return { protocol, rows }
  })
}

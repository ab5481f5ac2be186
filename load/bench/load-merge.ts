/**
 * Merging the outputs of several engine processes that ran one step together (each on its
 * own execution segment) into what one process would have written: counters summed, trend
 * statistics recomputed from every raw sample (`--out samples=FILE`), never averaged.
 */
import { percentile } from '../kit/percentile.ts'
import type { SeriesLine } from '../kit/series.ts'
import type { K6Summary, SummaryMetric } from './k6-summary.ts'

/** Every raw sample of each trend metric, all tag sets together. */
export type TrendSamples = Map<string, number[]>

/**
 * Reads the engine's `--out samples=FILE` text (`{"metric","tags","values":[…]}` per line)
 * into `into`, appending to what is there.
 *
 * @throws Error naming the file when a line is not such an object.
 */
export function readTrendSamples(
  text: string,
  file: string,
  into: TrendSamples = new Map(),
): TrendSamples {
  for (const [index, raw] of text.split('\n').entries()) {
    if (raw.trim() === '') continue
    const line = JSON.parse(raw) as { metric?: unknown; values?: unknown }
    if (typeof line.metric !== 'string' || !Array.isArray(line.values)) {
      throw new Error(`${file}:${String(index + 1)} is not a samples line {metric, tags, values}`)
    }
    let all = into.get(line.metric)
    if (all === undefined) {
      all = []
      into.set(line.metric, all)
    }
    for (const value of line.values) if (typeof value === 'number') all.push(value)
  }
  return into
}

/** k6's summary-export stats of a trend from its raw samples (percentiles as k6 computes them). */
export function trendExport(values: readonly number[]): Record<string, number> {
  // A typed array sorts numerically and fast; the percentile helper takes a plain array.
  const sorted = Array.from(Float64Array.from(values).sort())
  const n = sorted.length
  let sum = 0
  for (const value of sorted) sum += value
  return {
    count: n,
    avg: n === 0 ? 0 : sum / n,
    min: sorted[0] ?? 0,
    med: percentile(sorted, 0.5),
    max: sorted[n - 1] ?? 0,
    'p(90)': percentile(sorted, 0.9),
    'p(95)': percentile(sorted, 0.95),
    'p(99)': percentile(sorted, 0.99),
  }
}

const numberOf = (metric: SummaryMetric | undefined, key: string): number | undefined => {
  const value = metric?.[key]
  return typeof value === 'number' ? value : undefined
}

/**
 * One summary export from several processes' exports: counters (`count`, `rate`) and rates
 * (`passes`, `fails`) summed, gauges the largest `value`, and trends recomputed from `samples`
 * (a trend without samples keeps the largest of each stat: an upper bound).
 */
export function mergeSummaries(summaries: readonly K6Summary[], samples: TrendSamples): K6Summary {
  const names = new Set(summaries.flatMap((s) => Object.keys(s.metrics)))
  const metrics: Record<string, SummaryMetric> = {}
  for (const name of names) {
    const parts = summaries
      .map((s) => s.metrics[name])
      .filter((m): m is SummaryMetric => m !== undefined)
    const first = parts[0] ?? {}
    const raw = samples.get(name)
    if (raw !== undefined) {
      metrics[name] = trendExport(raw)
    } else if (numberOf(first, 'count') !== undefined && numberOf(first, 'rate') !== undefined) {
      metrics[name] = {
        count: parts.reduce((sum, m) => sum + (numberOf(m, 'count') ?? 0), 0),
        rate: parts.reduce((sum, m) => sum + (numberOf(m, 'rate') ?? 0), 0),
      }
    } else if (numberOf(first, 'passes') !== undefined) {
      const passes = parts.reduce((sum, m) => sum + (numberOf(m, 'passes') ?? 0), 0)
      const fails = parts.reduce((sum, m) => sum + (numberOf(m, 'fails') ?? 0), 0)
      metrics[name] = { passes, fails, value: passes + fails === 0 ? 0 : passes / (passes + fails) }
    } else if (numberOf(first, 'value') !== undefined) {
      metrics[name] = { ...first, value: Math.max(...parts.map((m) => numberOf(m, 'value') ?? 0)) }
    } else {
      // A trend the samples file does not hold: the largest of each stat.
      const merged: SummaryMetric = {}
      for (const part of parts) {
        for (const [key, value] of Object.entries(part)) {
          if (typeof value === 'number')
            merged[key] = Math.max(numberOf(merged, key) ?? value, value)
        }
      }
      metrics[name] = merged
    }
  }
  return { metrics }
}

/** The process's lines tagged `loadProcess: "<n>"` (1-based), so merged series keep them apart. */
export function tagProcess(lines: readonly SeriesLine[], processNumber: number): SeriesLine[] {
  const tag = String(processNumber)
  return lines.map((line) => ({ ...line, tags: { ...line.tags, loadProcess: tag } }))
}

/**
 * The main thread's merged view of every worker's samples: totals per metric and tag set,
 * all trend samples (percentiles are exact, as in k6), and the values k6 reports.
 */
import type { MetricDefinition, SeriesBatch } from './metric-types.ts'
import { tagKey } from './metric-types.ts'
import { percentile, trendStats } from './percentile.ts'
import { matchesFilter } from './thresholds.ts'

/** All samples of one metric and tag set. */
export interface MergedSeries {
  metric: MetricDefinition
  tags: Record<string, string>
  count: number
  sum: number
  min: number
  max: number
  last: number
  nonZero: number
  values: Float64Array
  length: number
}

/** The percentiles k6's summary shows for trends by default. */
export const SUMMARY_TREND_STATS = Object.freeze(['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'])

/** Merged metrics of a test run. */
export class MetricStore {
  readonly metrics = new Map<string, MetricDefinition>()
  readonly #series = new Map<string, MergedSeries>()

  /** Adds a worker batch. */
  merge(batch: SeriesBatch): void {
    const metric = batch.metric
    if (!this.metrics.has(metric.name)) this.metrics.set(metric.name, metric)
    const key = `${metric.name}\u0000${tagKey(batch.tags)}`
    let merged = this.#series.get(key)
    if (merged === undefined) {
      merged = {
        metric,
        tags: batch.tags,
        count: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
        last: 0,
        nonZero: 0,
        values: new Float64Array(0),
        length: 0,
      }
      this.#series.set(key, merged)
    }
    merged.count += batch.count
    merged.sum += batch.sum
    merged.min = Math.min(merged.min, batch.min)
    merged.max = Math.max(merged.max, batch.max)
    merged.last = batch.last
    merged.nonZero += batch.nonZero
    const values = batch.values
    if (values !== undefined && values.length > 0) {
      if (merged.length + values.length > merged.values.length) {
        const bigger = new Float64Array(Math.max(1024, (merged.length + values.length) * 2))
        bigger.set(merged.values.subarray(0, merged.length))
        merged.values = bigger
      }
      merged.values.set(values, merged.length)
      merged.length += values.length
    }
  }

  /** Series of `name` whose tags match `filter`. */
  seriesOf(name: string, filter: Readonly<Record<string, string>> = {}): MergedSeries[] {
    const found: MergedSeries[] = []
    for (const merged of this.#series.values()) {
      if (merged.metric.name === name && matchesFilter(merged.tags, filter)) found.push(merged)
    }
    return found
  }

  /**
   * The values k6 reports for a metric (or sub-metric): trends `avg min med max p(N)…`,
   * counters `count rate`, gauges `value min max`, rates `rate passes fails`.
   */
  values(
    name: string,
    durationMs: number,
    filter: Readonly<Record<string, string>> = {},
    trendStatNames: readonly string[] = SUMMARY_TREND_STATS,
  ): Record<string, number> {
    const metric = this.metrics.get(name)
    const series = this.seriesOf(name, filter)
    let count = 0
    let sum = 0
    let nonZero = 0
    let min = Infinity
    let max = -Infinity
    let last = 0
    let total = 0
    for (const merged of series) {
      count += merged.count
      sum += merged.sum
      nonZero += merged.nonZero
      min = Math.min(min, merged.min)
      max = Math.max(max, merged.max)
      last = merged.last
      total += merged.length
    }
    switch (metric?.type) {
      case 'counter':
        return { count: sum, rate: durationMs > 0 ? sum / (durationMs / 1000) : 0 }
      case 'gauge':
        return { value: last, min: count === 0 ? 0 : min, max: count === 0 ? 0 : max }
      case 'rate':
        return { rate: count === 0 ? 0 : nonZero / count, passes: nonZero, fails: count - nonZero }
      case 'trend': {
        const all = new Float64Array(total)
        let offset = 0
        for (const merged of series) {
          all.set(merged.values.subarray(0, merged.length), offset)
          offset += merged.length
        }
        all.sort()
        const stats = trendStats(all)
        const result: Record<string, number> = {}
        for (const stat of trendStatNames) {
          const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat)
          if (p !== null) result[stat] = percentile(all, Number(p[1]) / 100)
          else if (stat === 'avg' || stat === 'min' || stat === 'max' || stat === 'med') {
            result[stat] = stats[stat]
          } else if (stat === 'count') result[stat] = stats.count
        }
        return result
      }
      default:
        return {}
    }
  }
}

/**
 * Trend statistics computed as k6's TrendSink does: over all samples, percentiles by
 * linear interpolation between the two closest ranks (`percentile` of the measurement kit).
 */
import { percentile } from '../kit/percentile.ts'

export { percentile }

/** Sorts in place (numeric) and returns the same array. */
export function sortSamples(values: Float64Array): Float64Array {
  return values.sort()
}

/** The statistics k6 reports for a trend. */
export interface TrendStats {
  count: number
  min: number
  max: number
  avg: number
  med: number
}

/** count/min/max/avg/med of ascending-sorted samples (zeros when empty, as k6). */
export function trendStats(sorted: Float64Array): TrendStats {
  const n = sorted.length
  let sum = 0
  for (let i = 0; i < n; i++) sum += sorted[i] ?? 0
  return {
    count: n,
    min: n === 0 ? 0 : (sorted[0] ?? 0),
    max: n === 0 ? 0 : (sorted[n - 1] ?? 0),
    avg: n === 0 ? 0 : sum / n,
    med: percentile(sorted, 0.5),
  }
}

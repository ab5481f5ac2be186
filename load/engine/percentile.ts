/**
 * Trend statistics computed as k6's TrendSink does: over all samples, percentiles by
 * linear interpolation between the two closest ranks (`i = p × (n − 1)`).
 */

/** Sorts in place (numeric) and returns the same array. */
export function sortSamples(values: Float64Array): Float64Array {
  return values.sort()
}

/**
 * The `pct` quantile (0…1) of ascending-sorted `sorted`, as k6: 0 for no samples, the only
 * value for one, otherwise `v[⌊i⌋] + (v[⌈i⌉] − v[⌊i⌋]) × (i − ⌊i⌋)` with `i = pct × (n − 1)`.
 */
export function percentile(sorted: Float64Array, pct: number): number {
  const n = sorted.length
  if (n === 0) return 0
  if (n === 1) return sorted[0] ?? 0
  const i = pct * (n - 1)
  const low = sorted[Math.floor(i)] ?? 0
  const high = sorted[Math.ceil(i)] ?? 0
  return low + (high - low) * (i - Math.floor(i))
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

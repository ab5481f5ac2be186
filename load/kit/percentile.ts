/**
 * The project's one percentile: k6's TrendSink rule, linear interpolation between the two
 * closest ranks (`i = p × (n − 1)`). The engine's summaries, the bench's merged and per-second
 * figures and the tests all use it, so a figure computed twice agrees.
 */

/**
 * The `pct` quantile (0…1) of ascending-sorted `sorted`, as k6: 0 for no samples, the only
 * value for one, otherwise `v[⌊i⌋] + (v[⌈i⌉] − v[⌊i⌋]) × (i − ⌊i⌋)` with `i = pct × (n − 1)`.
 */
export function percentile(sorted: ArrayLike<number>, pct: number): number {
  const n = sorted.length
  if (n === 0) return 0
  if (n === 1) return sorted[0] ?? 0
  const i = pct * (n - 1)
  const low = sorted[Math.floor(i)] ?? 0
  const high = sorted[Math.ceil(i)] ?? 0
  return low + (high - low) * (i - Math.floor(i))
}

/** The median of `values` in any order (the mean of the middle two for an even count; 0 for none). */
export function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  )
}

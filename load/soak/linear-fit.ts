/**
 * Ordinary least-squares line through (x, y) points: the soak reports how fast the
 * server's heap after GC and RSS grow per minute from it, rather than from two end points.
 */

/** A fitted line `y = intercept + slope · x`. */
export interface LinearFit {
  /** Change of y per unit of x. */
  slope: number
  /** y at x = 0. */
  intercept: number
  /** Share of the variance of y the line explains (1 when y is constant). */
  r2: number
  /** Number of points fitted. */
  n: number
}

/** Fits a line through `points` by least squares; throws with fewer than two distinct x. */
export function linearFit(points: readonly { x: number; y: number }[]): LinearFit {
  const n = points.length
  if (n < 2) throw new Error(`linearFit needs at least 2 points, got ${String(n)}`)
  const meanX = points.reduce((s, p) => s + p.x, 0) / n
  const meanY = points.reduce((s, p) => s + p.y, 0) / n
  let sxx = 0
  let sxy = 0
  let syy = 0
  for (const { x, y } of points) {
    sxx += (x - meanX) ** 2
    sxy += (x - meanX) * (y - meanY)
    syy += (y - meanY) ** 2
  }
  if (sxx === 0) throw new Error('linearFit needs at least 2 distinct x values')
  const slope = sxy / sxx
  return {
    slope,
    intercept: meanY - slope * meanX,
    r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy),
    n,
  }
}

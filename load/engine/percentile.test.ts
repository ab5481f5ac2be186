import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { percentile, trendStats } from './percentile.ts'

const sorted = (values: number[]) => Float64Array.from(values).sort()

describe('percentile', () => {
  // Vectors worked by hand with k6's TrendSink.P: i = p × (n − 1), linear between ranks.
  it.each([
    [[], 0.95, 0],
    [[7], 0.95, 7],
    [[10, 20], 0.95, 19.5],
    [[1, 2, 3, 4, 5], 0.5, 3],
    [[1, 2, 3, 4, 5], 0.9, 4.6],
    [[1, 2, 3, 4, 5], 0.95, 4.8],
    [[5, 1, 4, 2, 3], 0.25, 2],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[0, 100], 0.99, 99],
  ])('of %j at %d is %d', (values, pct, expected) => {
    expect(percentile(sorted(values), pct)).toBeCloseTo(expected, 10)
  })

  it('stays between min and max and grows with the percentile', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, a, b) => {
          const s = sorted(values)
          const [low, high] = a <= b ? [a, b] : [b, a]
          const pl = percentile(s, low)
          const ph = percentile(s, high)
          expect(pl).toBeGreaterThanOrEqual(s[0] ?? 0)
          expect(ph).toBeLessThanOrEqual(s[s.length - 1] ?? 0)
          expect(pl).toBeLessThanOrEqual(ph + 1e-9)
        },
      ),
    )
  })
})

describe('trendStats', () => {
  it('reports count, min, max, avg and med as k6', () => {
    expect(trendStats(sorted([4, 1, 3, 2]))).toEqual({
      count: 4,
      min: 1,
      max: 4,
      avg: 2.5,
      med: 2.5,
    })
    expect(trendStats(sorted([]))).toEqual({ count: 0, min: 0, max: 0, avg: 0, med: 0 })
  })
})

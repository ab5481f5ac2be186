import { describe, expect, it } from 'vitest'
import { linearFit } from './linear-fit.ts'

describe('linearFit', () => {
  it('recovers the slope and intercept of points on a line', () => {
    const fit = linearFit([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2 * x })))
    expect(fit.slope).toBeCloseTo(2, 12)
    expect(fit.intercept).toBeCloseTo(5, 12)
    expect(fit.r2).toBeCloseTo(1, 12)
    expect(fit.n).toBe(4)
  })

  it('finds the least-squares line through scattered points', () => {
    // (0,1) (1,3) (2,2): mean x 1, mean y 2, sxy 1, sxx 2 → slope 0.5, intercept 1.5, r² 0.25
    const fit = linearFit([
      { x: 0, y: 1 },
      { x: 1, y: 3 },
      { x: 2, y: 2 },
    ])
    expect(fit.slope).toBeCloseTo(0.5, 12)
    expect(fit.intercept).toBeCloseTo(1.5, 12)
    expect(fit.r2).toBeCloseTo(0.25, 12)
  })

  it('gives a zero slope for a flat series', () => {
    expect(linearFit([0, 1, 2].map((x) => ({ x, y: 7 })))).toMatchObject({ slope: 0, r2: 1 })
  })

  it('refuses fewer than two points or a single x', () => {
    expect(() => linearFit([{ x: 1, y: 1 }])).toThrow(/at least 2 points/)
    expect(() =>
      linearFit([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toThrow(/distinct x/)
  })
})

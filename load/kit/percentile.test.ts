import { describe, expect, it } from 'vitest'
import { median } from './percentile.ts'

describe('median', () => {
  it.each([
    [[], 0],
    [[4], 4],
    [[9, 1, 5], 5],
    // An even count: the mean of the middle two, in whatever order the values came.
    [[8, 2, 6, 4], 5],
  ])('of %j is %d', (values, expected) => {
    expect(median(values)).toBe(expected)
  })

  it('leaves the list it was given in its order', () => {
    const values = [3, 1, 2]
    median(values)
    expect(values).toEqual([3, 1, 2])
  })
})

/**
 * The project's one duration parser (load/lib/duration.ts) against the examples of k6's docs
 * and Go's time.ParseDuration, which k6's durations extend with days.
 */
import { describe, expect, it } from 'vitest'
import { parseSeconds } from '../../load/bench/main.ts'
import { parseDuration } from '../../load/lib/duration.ts'

describe('parseDuration', () => {
  it.each([
    ['300ms', 300],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['2h45m', 9_900_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['1d2h', 93_600_000],
    ['1500us', 1.5],
    ['2µs', 0.002],
    ['90', 90_000],
    [' 30s ', 30_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9)
  })

  it.each(['', 'soon', '10x', '1h 30m', 's', '5 s', '-'])('refuses %j, naming it', (text) => {
    expect(() => parseDuration(text)).toThrow(/is not a k6 duration/)
  })
})

describe('bench durations', () => {
  it('take the same grammar as npm run load: --hold 1m30s works for both', () => {
    expect(parseSeconds('1m30s')).toBe(90)
    expect(parseSeconds('500ms')).toBe(0.5)
    expect(() => parseSeconds('0s')).toThrow(/must be positive/)
    expect(() => parseSeconds('soon')).toThrow(/not a duration/)
  })
})

import { describe, expect, it } from 'vitest'
import { counterSum, gaugeMax, parseSeries, trendMaxP99 } from './series.ts'

const text = [
  { t: 9, metric: 'feed_frames', tags: {}, type: 'counter', count: 1, sum: 100 },
  { t: 10, metric: 'feed_frames', tags: { protocol: 'sse' }, type: 'counter', count: 1, sum: 5 },
  { t: 10, metric: 'feed_frames', tags: { protocol: 'ws' }, type: 'counter', count: 1, sum: 7 },
  { t: 11, metric: 'feed_frames', tags: {}, type: 'counter', count: 1, sum: 3 },
  { t: 10, metric: 'loop', tags: {}, type: 'gauge', value: 4 },
  { t: 11, metric: 'loop', tags: {}, type: 'gauge', value: 9 },
  {
    t: 10,
    metric: 'lat',
    tags: {},
    type: 'trend',
    count: 2,
    min: 1,
    max: 8,
    avg: 4,
    p50: 3,
    p90: 6,
    p95: 7,
    p99: 8,
  },
  {
    t: 11,
    metric: 'lat',
    tags: {},
    type: 'trend',
    count: 2,
    min: 1,
    max: 2,
    avg: 1,
    p50: 1,
    p90: 2,
    p95: 2,
    p99: 2,
  },
]
  .map((line) => JSON.stringify(line))
  .concat(['not json', '{"t":1,"metric":"x"}', ''])
  .join('\n')

describe('the per-second series', () => {
  const lines = parseSeries(text)

  it('keeps only series lines', () => {
    expect(lines).toHaveLength(8)
  })

  it('sums a counter over whole seconds in [from, to), across tag sets', () => {
    expect(counterSum(lines, 'feed_frames', 10, 11)).toBe(12)
    expect(counterSum(lines, 'feed_frames', 10, 12)).toBe(15)
    expect(counterSum(lines, 'feed_frames', 12, 20)).toBe(0)
  })

  it('takes the highest gauge value and trend p99 in the window, null when none', () => {
    expect(gaugeMax(lines, 'loop', 10, 11)).toBe(4)
    expect(gaugeMax(lines, 'loop', 0, 100)).toBe(9)
    expect(gaugeMax(lines, 'lat', 0, 100)).toBeNull()
    expect(trendMaxP99(lines, 'lat', 11, 12)).toBe(2)
    expect(trendMaxP99(lines, 'lat', 0, 100)).toBe(8)
    expect(trendMaxP99(lines, 'loop', 0, 100)).toBeNull()
  })
})

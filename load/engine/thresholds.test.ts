import { describe, expect, it } from 'vitest'
import { durationMs } from './duration.ts'
import {
  checkAggregation,
  matchesFilter,
  parseThresholdExpression,
  parseThresholds,
  thresholdPasses,
} from './thresholds.ts'

describe('parseThresholdExpression', () => {
  it.each([
    ['p(95)<250', 'p(95)', '<', 250],
    ['p(99.9) <= 1e3', 'p(99.9)', '<=', 1000],
    ['rate<0.01', 'rate', '<', 0.01],
    ['count==0', 'count', '==', 0],
    ['avg >= -2.5', 'avg', '>=', -2.5],
    ['med!=3', 'med', '!=', 3],
    ['value===1', 'value', '===', 1],
  ])('reads %s', (source, aggregation, operator, value) => {
    expect(parseThresholdExpression(source)).toMatchObject({ source, aggregation, operator, value })
  })

  it.each(['p95<250', 'p(95)<', 'avg<<3', 'mean<3', 'p(101)<3', ''])(
    'refuses %j with a message naming the expression',
    (source) => {
      expect(() => parseThresholdExpression(source)).toThrow(source === '' ? /threshold/ : source)
    },
  )
})

describe('parseThresholds', () => {
  it('reads strings, objects with abortOnFail and sub-metric selectors', () => {
    const parsed = parseThresholds(
      {
        feed_latency: [
          'p(95)<250',
          { threshold: 'max<1000', abortOnFail: true, delayAbortEval: '10s' },
        ],
        'feed_gaps{protocol:sse}': ['count==0'],
      },
      durationMs,
    )
    expect(parsed[0]?.metric).toBe('feed_latency')
    expect(parsed[0]?.expressions[1]).toMatchObject({ abortOnFail: true, delayAbortEvalMs: 10_000 })
    expect(parsed[1]).toMatchObject({ metric: 'feed_gaps', filter: { protocol: 'sse' } })
  })

  it('refuses a key that is not a metric name', () => {
    expect(() => parseThresholds({ 'bad name': ['count>0'] }, durationMs)).toThrow(/bad name/)
  })
})

describe('thresholdPasses', () => {
  const at = (source: string, actual: number) =>
    thresholdPasses(parseThresholdExpression(source), actual)
  it('compares like k6', () => {
    expect(at('p(95)<250', 249.9)).toBe(true)
    expect(at('p(95)<250', 250)).toBe(false)
    expect(at('p(95)<=250', 250)).toBe(true)
    expect(at('count==0', 0)).toBe(true)
    expect(at('count==0', 1)).toBe(false)
    expect(at('rate>0.9', 0.95)).toBe(true)
    expect(at('med!=3', 3)).toBe(false)
  })
})

describe('checkAggregation', () => {
  it('refuses an aggregation the metric type does not have', () => {
    expect(() => {
      checkAggregation(parseThresholdExpression('rate<0.1'), 'trend', 'feed_latency')
    }).toThrow(/trend supports avg, min, max, med, p\(N\)/)
    expect(() => {
      checkAggregation(parseThresholdExpression('p(99)<1'), 'trend', 'x')
    }).not.toThrow()
  })
})

describe('matchesFilter', () => {
  it('matches when every filter tag is equal', () => {
    expect(matchesFilter({ protocol: 'sse', scenario: 'a' }, { protocol: 'sse' })).toBe(true)
    expect(matchesFilter({ protocol: 'ws' }, { protocol: 'sse' })).toBe(false)
  })
})

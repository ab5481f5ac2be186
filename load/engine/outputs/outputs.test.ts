import { describe, expect, it } from 'vitest'
import { MetricStore } from '../metric-store.ts'
import type { MetricDefinition, SeriesBatch } from '../metric-types.ts'
import { JsonOutput } from './json-output.ts'
import { SeriesWindow } from './series-output.ts'
import { parseSeries, seriesLineSchema } from '../../kit/series.ts'
import { buildSummaryData } from './summary-data.ts'
import { buildSummaryExport } from './summary-export.ts'
import { renderSummaryText } from './summary-text.ts'

const latency: MetricDefinition = { name: 'feed_latency', type: 'trend', contains: 'time' }
const frames: MetricDefinition = { name: 'feed_frames', type: 'counter', contains: 'default' }
const checks: MetricDefinition = { name: 'checks', type: 'rate', contains: 'default' }

function batch(
  metric: MetricDefinition,
  values: number[],
  tags: Record<string, string> = {},
): SeriesBatch {
  return {
    metric,
    tags,
    count: values.length,
    sum: values.reduce((a, b) => a + b, 0),
    min: Math.min(...values),
    max: Math.max(...values),
    last: values[values.length - 1] ?? 0,
    nonZero: values.filter((v) => v !== 0).length,
    ...(metric.type === 'trend' ? { values: Float64Array.from(values) } : {}),
  }
}

describe('JsonOutput', () => {
  it("writes k6's Metric and Point field names", () => {
    const metricLine: unknown = JSON.parse(JsonOutput.metricLine(latency, ['p(95)<250']))
    expect(metricLine).toEqual({
      type: 'Metric',
      data: {
        name: 'feed_latency',
        type: 'trend',
        contains: 'time',
        thresholds: ['p(95)<250'],
        submetrics: null,
      },
      metric: 'feed_latency',
    })
    const point: unknown = JSON.parse(
      JsonOutput.pointLine('feed_latency', Date.UTC(2026, 0, 2, 3, 4, 5, 6), 1.5, {
        protocol: 'sse',
      }),
    )
    expect(point).toEqual({
      metric: 'feed_latency',
      type: 'Point',
      data: { time: '2026-01-02T03:04:05.006Z', value: 1.5, tags: { protocol: 'sse' } },
    })
  })
})

describe('summary export', () => {
  it("uses k6's legacy summary-export shape and threshold flags (true = failed)", () => {
    const store = new MetricStore()
    store.merge(batch(latency, [1, 2, 3, 4, 5], { protocol: 'sse' }))
    store.merge(batch(frames, [1, 1, 1]))
    store.merge(batch(checks, [1, 0, 1, 1]))
    const data = buildSummaryData(
      store,
      [{ key: 'feed_latency', metric: 'feed_latency', source: 'p(95)<4', ok: false, actual: 4.8 }],
      2000,
      undefined,
    )
    expect(data.metrics['feed_latency']).toEqual({
      type: 'trend',
      contains: 'time',
      values: { avg: 3, min: 1, med: 3, max: 5, 'p(90)': 4.6, 'p(95)': 4.8 },
      thresholds: { 'p(95)<4': { ok: false } },
    })
    const exported = buildSummaryExport(data)
    expect(exported.metrics['feed_latency']).toEqual({
      avg: 3,
      min: 1,
      med: 3,
      max: 5,
      'p(90)': 4.6,
      'p(95)': 4.8,
      thresholds: { 'p(95)<4': true },
    })
    expect(exported.metrics['feed_frames']).toEqual({ count: 3, rate: 1.5 })
    expect(exported.metrics['checks']).toEqual({ passes: 3, fails: 1, value: 0.75 })
    expect(Object.keys(exported)).toEqual(['root_group', 'metrics'])
    const text = renderSummaryText(data)
    expect(text).toMatch(/✗ 'p\(95\)<4'/)
    expect(text).toMatch(
      /feed_latency\.+: avg=3\.00ms min=1\.00ms med=3\.00ms max=5\.00ms p\(90\)=4\.60ms p\(95\)=4\.80ms/,
    )
  })
})

describe('summary trend stats', () => {
  it('reports the stats --summary-trend-stats asks for', () => {
    const store = new MetricStore()
    store.merge(batch(latency, [1, 2, 3, 4, 5]))
    const data = buildSummaryData(store, [], 1000, undefined, ['p(99)', 'count'])
    expect(data.metrics['feed_latency']?.values).toEqual({ 'p(99)': 4.96, count: 5 })
    expect(data.options.summaryTrendStats).toEqual(['p(99)', 'count'])
    expect(renderSummaryText(data)).toMatch(/p\(99\)=4\.96ms count=5\n/)
  })
})

describe('SeriesWindow', () => {
  it('renders one line per metric and tag set for the second', () => {
    const window = new SeriesWindow()
    window.add(batch(latency, [1, 2, 3], { protocol: 'sse' }))
    window.add(batch(latency, [4, 5], { protocol: 'sse' }))
    window.add(batch(frames, [1, 1]))
    const lines = window.cut(1_800_000_000)
    expect(lines).toContainEqual({
      t: 1_800_000_000,
      metric: 'feed_latency',
      tags: { protocol: 'sse' },
      type: 'trend',
      count: 5,
      min: 1,
      max: 5,
      avg: 3,
      p50: 3,
      p90: 4.6,
      p95: 4.8,
      p99: 4.96,
    })
    expect(lines).toContainEqual({
      t: 1_800_000_000,
      metric: 'feed_frames',
      tags: {},
      type: 'counter',
      count: 2,
      sum: 2,
    })
    expect(window.cut(1_800_000_001)).toEqual([])
  })

  it('writes only lines the one series schema reads back, gauges and rates included', () => {
    const window = new SeriesWindow()
    window.add(batch(latency, [1, 2]))
    window.add(batch(frames, [3]))
    window.add(batch(checks, [1, 0, 1]))
    window.add(batch({ name: 'vus', type: 'gauge', contains: 'default' }, [7, 9]))
    const lines = window.cut(1_800_000_000)
    expect(lines.map((line) => line.type).sort()).toEqual(['counter', 'gauge', 'rate', 'trend'])
    const text = lines.map((line) => JSON.stringify(line)).join('\n')
    expect(parseSeries(text)).toEqual(lines)
    for (const line of lines) expect(seriesLineSchema.safeParse(line).success).toBe(true)
  })
})

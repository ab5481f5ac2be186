/**
 * The per-second series: the engine's `--out series=FILE` lines, the same lines
 * aggregated from stock k6's `--out json` points, and the bench's own process samples.
 */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { z } from 'zod'
import { percentile } from './percentile.ts'

/** Tags of a metric sample, as k6 writes them. */
const tagsSchema = z.record(z.string(), z.string())
export type Tags = z.infer<typeof tagsSchema>

/** What every line has: the second (unix s), the metric and its tag set. */
const lineHead = { t: z.number(), metric: z.string(), tags: tagsSchema }

/** One second of a Trend metric. */
export const trendLineSchema = z.object({
  ...lineHead,
  type: z.literal('trend'),
  count: z.number(),
  min: z.number(),
  max: z.number(),
  avg: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
})
export type TrendLine = z.infer<typeof trendLineSchema>

/** One second of a Counter, or of a Rate (then `sum` counts the non-zero samples). */
export const counterLineSchema = z.object({
  ...lineHead,
  type: z.enum(['counter', 'rate']),
  count: z.number(),
  sum: z.number(),
})
export type CounterLine = z.infer<typeof counterLineSchema>

/** One second of a Gauge metric: its last value. */
export const gaugeLineSchema = z.object({
  ...lineHead,
  type: z.literal('gauge'),
  value: z.number(),
})
export type GaugeLine = z.infer<typeof gaugeLineSchema>

/**
 * One line of a series file: the one schema its writer (the engine's `--out series`), its
 * reader (the bench, the perf scripts) and the site share.
 */
export const seriesLineSchema = z.union([trendLineSchema, counterLineSchema, gaugeLineSchema])
export type SeriesLine = z.infer<typeof seriesLineSchema>

/** Parses series NDJSON; lines that are not series lines (by {@link seriesLineSchema}) are skipped. */
export function parseSeries(text: string): SeriesLine[] {
  const out: SeriesLine[] = []
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue
    let line: unknown
    try {
      line = JSON.parse(raw)
    } catch {
      continue
    }
    const parsed = seriesLineSchema.safeParse(line)
    if (parsed.success) out.push(parsed.data)
  }
  return out
}

/** How k6 types each metric in its `--out json` Metric lines. */
type K6MetricType = 'trend' | 'counter' | 'gauge' | 'rate'

/**
 * Streams stock k6's `--out json` NDJSON and aggregates its Point lines per second and
 * per metric + tag set into series lines, without holding the raw file in memory.
 */
export async function aggregateK6Json(path: string): Promise<SeriesLine[]> {
  const types = new Map<string, K6MetricType>()
  // second → key → values
  const buckets = new Map<number, Map<string, { metric: string; tags: Tags; values: number[] }>>()
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity })
  for await (const raw of lines) {
    if (raw === '') continue
    let line: unknown
    try {
      line = JSON.parse(raw)
    } catch {
      continue
    }
    if (typeof line !== 'object' || line === null || !('type' in line) || !('metric' in line)) {
      continue
    }
    const metric = String(line.metric)
    if (line.type === 'Metric' && 'data' in line) {
      const data = line.data as { type?: K6MetricType }
      if (data.type !== undefined) types.set(metric, data.type)
      continue
    }
    if (line.type !== 'Point' || !('data' in line)) continue
    const data = line.data as { time: string; value: number; tags?: Tags | null }
    const second = Math.floor(Date.parse(data.time) / 1000)
    const tags = data.tags ?? {}
    // Per-request tags (url, status…) would explode the series: keep the ones the bench reads.
    const kept: Tags = {}
    if (tags['protocol'] !== undefined) kept['protocol'] = tags['protocol']
    const key = `${metric}|${JSON.stringify(kept)}`
    let bucket = buckets.get(second)
    if (bucket === undefined) {
      bucket = new Map()
      buckets.set(second, bucket)
    }
    let entry = bucket.get(key)
    if (entry === undefined) {
      entry = { metric, tags: kept, values: [] }
      bucket.set(key, entry)
    }
    entry.values.push(data.value)
  }
  const out: SeriesLine[] = []
  for (const [t, bucket] of [...buckets].sort((a, b) => a[0] - b[0])) {
    for (const { metric, tags, values } of bucket.values()) {
      const type = types.get(metric) ?? 'counter'
      if (type === 'trend') {
        const sorted = [...values].sort((a, b) => a - b)
        out.push({
          t,
          metric,
          tags,
          type: 'trend',
          count: sorted.length,
          min: sorted[0] ?? 0,
          max: sorted.at(-1) ?? 0,
          avg: sorted.reduce((a, b) => a + b, 0) / sorted.length,
          p50: percentile(sorted, 0.5),
          p90: percentile(sorted, 0.9),
          p95: percentile(sorted, 0.95),
          p99: percentile(sorted, 0.99),
        })
      } else if (type === 'gauge') {
        out.push({ t, metric, tags, type: 'gauge', value: values.at(-1) ?? 0 })
      } else if (type === 'rate') {
        out.push({
          t,
          metric,
          tags,
          type: 'rate',
          count: values.length,
          sum: values.filter((v) => v !== 0).length,
        })
      } else {
        out.push({
          t,
          metric,
          tags,
          type: 'counter',
          count: values.length,
          sum: values.reduce((a, b) => a + b, 0),
        })
      }
    }
  }
  return out
}

/** Sum of a counter's `sum` over seconds in `[from, to)`. */
export function counterSum(
  lines: readonly SeriesLine[],
  metric: string,
  from: number,
  to: number,
): number {
  let total = 0
  for (const line of lines) {
    if (line.type === 'counter' && line.metric === metric && line.t >= from && line.t < to) {
      total += line.sum
    }
  }
  return total
}

/** Highest value a gauge reached over seconds in `[from, to)`; null when never reported. */
export function gaugeMax(
  lines: readonly SeriesLine[],
  metric: string,
  from: number,
  to: number,
): number | null {
  return maxOver(lines, metric, from, to, (line) => (line.type === 'gauge' ? line.value : null))
}

/** The newest p95 of a trend in the lines, for the progress line. */
export function latestP95(lines: readonly SeriesLine[], metric: string): number | null {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]
    if (line?.type === 'trend' && line.metric === metric) return line.p95
  }
  return null
}

/** Highest per-second p99 of a trend over seconds in `[from, to)`; null when never reported. */
export function trendMaxP99(
  lines: readonly SeriesLine[],
  metric: string,
  from: number,
  to: number,
): number | null {
  return maxOver(lines, metric, from, to, (line) => (line.type === 'trend' ? line.p99 : null))
}

/** Highest `pick(line)` of a metric's lines over seconds in `[from, to)` (null picks skipped). */
function maxOver(
  lines: readonly SeriesLine[],
  metric: string,
  from: number,
  to: number,
  pick: (line: SeriesLine) => number | null,
): number | null {
  let max: number | null = null
  for (const line of lines) {
    if (line.metric !== metric || line.t < from || line.t >= to) continue
    const value = pick(line)
    if (value !== null) max = max === null ? value : Math.max(max, value)
  }
  return max
}

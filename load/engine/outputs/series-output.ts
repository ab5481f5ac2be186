/**
 * `--out series=FILE` (an engine extension, not a k6 output): one NDJSON line per second
 * per metric and tag set, so a bench at 10k VUs reads per-second figures without every
 * Point being written:
 *
 *   {"t":<unix s>,"metric":"feed_latency","tags":{…},"type":"trend","count","min","max","avg","p50","p90","p95","p99"}
 *   {"t","metric","tags","type":"counter","count","sum"}        (count = samples, sum = total)
 *   {"t","metric","tags","type":"rate","count","sum"}           (sum = non-zero samples)
 *   {"t","metric","tags","type":"gauge","value"}
 *
 * plus the generator's own saturation signal, `engine_event_loop_delay_p99` (gauge, ms: the
 * worst p99 over the main and worker threads of how late each ran a due timer in that
 * second; see loop-delay.ts).
 */
import { createWriteStream } from 'node:fs'
import type { WriteStream } from 'node:fs'
import type { MetricDefinition, SeriesBatch } from '../metric-types.ts'
import { tagKey } from '../metric-types.ts'
import { percentile } from '../percentile.ts'
import type { SeriesLine } from '../../kit/series.ts'

interface WindowSeries {
  metric: MetricDefinition
  tags: Record<string, string>
  count: number
  sum: number
  min: number
  max: number
  last: number
  nonZero: number
  parts: Float64Array[]
}

/** One line of the series file: the kit's type, which its reader parses. */
export type { SeriesLine } from '../../kit/series.ts'

/** Accumulates one second of batches and renders its lines. */
export class SeriesWindow {
  #window = new Map<string, WindowSeries>()

  /** Adds a batch to the current second. */
  add(batch: SeriesBatch): void {
    const key = `${batch.metric.name}\u0000${tagKey(batch.tags)}`
    let series = this.#window.get(key)
    if (series === undefined) {
      series = {
        metric: batch.metric,
        tags: batch.tags,
        count: 0,
        sum: 0,
        min: Infinity,
        max: -Infinity,
        last: 0,
        nonZero: 0,
        parts: [],
      }
      this.#window.set(key, series)
    }
    series.count += batch.count
    series.sum += batch.sum
    series.min = Math.min(series.min, batch.min)
    series.max = Math.max(series.max, batch.max)
    series.last = batch.last
    series.nonZero += batch.nonZero
    if (batch.values !== undefined) series.parts.push(batch.values)
  }

  /** The lines of the second `t` (unix s), and a fresh window. */
  cut(t: number): SeriesLine[] {
    const lines: SeriesLine[] = []
    for (const series of this.#window.values()) {
      const { metric, tags } = series
      switch (metric.type) {
        case 'trend': {
          const total = series.parts.reduce((n, part) => n + part.length, 0)
          const all = new Float64Array(total)
          let offset = 0
          for (const part of series.parts) {
            all.set(part, offset)
            offset += part.length
          }
          all.sort()
          lines.push({
            t,
            metric: metric.name,
            tags,
            type: 'trend',
            count: total,
            min: total === 0 ? 0 : series.min,
            max: total === 0 ? 0 : series.max,
            avg: total === 0 ? 0 : series.sum / total,
            p50: percentile(all, 0.5),
            p90: percentile(all, 0.9),
            p95: percentile(all, 0.95),
            p99: percentile(all, 0.99),
          })
          break
        }
        case 'counter':
          lines.push({
            t,
            metric: metric.name,
            tags,
            type: 'counter',
            count: series.count,
            sum: series.sum,
          })
          break
        case 'rate':
          lines.push({
            t,
            metric: metric.name,
            tags,
            type: 'rate',
            count: series.count,
            sum: series.nonZero,
          })
          break
        case 'gauge':
          lines.push({ t, metric: metric.name, tags, type: 'gauge', value: series.last })
          break
      }
    }
    this.#window = new Map()
    return lines
  }
}

/** Writes the per-second lines to a file. */
export class SeriesOutput {
  readonly #stream: WriteStream

  constructor(path: string) {
    this.#stream = createWriteStream(path)
  }

  /** Appends lines. */
  write(lines: readonly SeriesLine[]): void {
    if (lines.length === 0) return
    this.#stream.write(lines.map((line) => JSON.stringify(line)).join('\n') + '\n')
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#stream.end((error?: Error | null) => {
        if (error) reject(error)
        else resolve()
      })
    })
  }
}

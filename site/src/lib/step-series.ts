/**
 * Reads a step's per-second series (`files.series` of a report step: NDJSON lines written by the
 * bench, parsed with the bench's own `parseSeries`) into the shape the charts use: one point per
 * second with the `feed_latency` percentiles and the `feed_frames` count.
 */
import { z } from 'astro/zod'
import { parseSeries as parseSeriesLines, type SeriesLine } from '../../../load/kit/series.ts'

/** One second of a step: seconds since the step started and delivery latency percentiles (ms). */
export const seriesPointSchema = z.object({
  /** Seconds since the first line of the series. */
  s: z.number(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  /** Frames received in that second over all clients; null when the file does not say. */
  frames: z.number().nullable(),
})

/** One second of a step, as charted. */
export type SeriesPoint = z.infer<typeof seriesPointSchema>

/** Seconds of a line's `t`, whether it is written in seconds or in milliseconds since the epoch. */
const seconds = (t: number): number => (t > 1e11 ? t / 1000 : t)

/**
 * Parses the text of a series file.
 * @returns the points in time order, or null when the file holds no `feed_latency` line
 */
export function parseSeries(text: string): SeriesPoint[] | null {
  const lines: SeriesLine[] = parseSeriesLines(text)
  const bySecond = new Map<number, SeriesPoint>()
  const pointAt = (t: number): SeriesPoint => {
    const key = Math.floor(seconds(t))
    let point = bySecond.get(key)
    if (!point) {
      point = { s: key, p50: null, p95: null, p99: null, frames: null }
      bySecond.set(key, point)
    }
    return point
  }
  let sawLatency = false
  for (const line of lines) {
    // A step runs one protocol, so tag groups rarely split a second; when they do, the slowest
    // group's percentile is kept (an upper bound) and frame counts are summed.
    if (line.metric === 'feed_latency' && line.type === 'trend') {
      sawLatency = true
      const point = pointAt(line.t)
      point.p50 = Math.max(point.p50 ?? 0, line.p50)
      point.p95 = Math.max(point.p95 ?? 0, line.p95)
      point.p99 = Math.max(point.p99 ?? 0, line.p99)
    } else if (line.metric === 'feed_frames' && line.type === 'counter') {
      const point = pointAt(line.t)
      point.frames = (point.frames ?? 0) + line.sum
    }
  }
  if (!sawLatency) return null
  const points = [...bySecond.values()].sort((a, b) => a.s - b.s)
  const first = points[0]?.s ?? 0
  return points.map((point) => ({ ...point, s: point.s - first }))
}

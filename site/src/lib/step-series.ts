/**
 * Reads a step's per-second series (`files.series` of a report step) into one shape the charts
 * use. The bench writes one object per second; the reader accepts a JSON array, an object with a
 * `points` or `series` array, or NDJSON, and reads the latency percentiles from the usual places.
 */
import { z } from 'astro/zod'

/** One second of a step: seconds since the step started and delivery latency percentiles (ms). */
export const seriesPointSchema = z.object({
  /** Seconds since the start of the step. */
  s: z.number(),
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  /** Frames received in that second over all clients; null when the file does not say. */
  frames: z.number().nullable(),
})

/** One second of a step, as charted. */
export type SeriesPoint = z.infer<typeof seriesPointSchema>

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const numberAt = (record: Record<string, unknown>, keys: readonly string[]): number | null => {
  for (const key of keys) {
    const value = record[key]
    if (typeof value === 'number' && Number.isFinite(value)) return value
  }
  return null
}

const latencyOf = (record: Record<string, unknown>): Record<string, unknown> => {
  for (const key of ['latencyMs', 'latency', 'feed_latency']) {
    const nested = record[key]
    if (isRecord(nested)) return nested
  }
  return record
}

/**
 * Parses the text of a series file.
 * @returns the points in time order, or null when the text has none of the known shapes
 */
export function parseSeries(text: string): SeriesPoint[] | null {
  let rows: unknown[]
  try {
    const parsed: unknown = JSON.parse(text)
    if (Array.isArray(parsed)) rows = parsed
    else if (isRecord(parsed) && Array.isArray(parsed['points'])) rows = parsed['points']
    else if (isRecord(parsed) && Array.isArray(parsed['series'])) rows = parsed['series']
    else return null
  } catch {
    // Not one JSON document: NDJSON, one object per line.
    try {
      rows = text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line): unknown => JSON.parse(line))
    } catch {
      return null
    }
  }
  const points: SeriesPoint[] = []
  let firstTime: number | null = null
  for (const row of rows) {
    if (!isRecord(row)) return null
    const time = numberAt(row, ['s', 'second', 'elapsedS', 't', 'time', 'ts'])
    if (time === null) return null
    // Absolute timestamps (ms since the epoch) become seconds since the first point.
    const seconds = time > 1e11 ? time / 1000 : time
    firstTime ??= seconds
    const latency = latencyOf(row)
    points.push({
      s: time > 1e11 ? seconds - firstTime : seconds,
      p50: numberAt(latency, ['p50', 'p(50)', 'med']),
      p95: numberAt(latency, ['p95', 'p(95)']),
      p99: numberAt(latency, ['p99', 'p(99)']),
      frames: numberAt(row, ['frames', 'framesReceived', 'feed_frames']),
    })
  }
  return points.sort((a, b) => a.s - b.s)
}

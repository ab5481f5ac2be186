/**
 * Metric vocabulary shared by the VU workers and the main thread: k6's four metric types
 * and the once-per-second batch a worker sends.
 */

/** k6 metric types. */
export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend'

/** What a metric's values are: plain numbers, durations (ms) or bytes. */
export type ValueKind = 'default' | 'time' | 'data'

/** A metric's identity. */
export interface MetricDefinition {
  name: string
  type: MetricType
  contains: ValueKind
}

/** One tag set's samples of one metric since the previous flush. */
export interface SeriesBatch {
  metric: MetricDefinition
  tags: Record<string, string>
  /** Samples added (for rates: non-zero samples are in `nonZero`). */
  count: number
  sum: number
  min: number
  max: number
  /** Last value (gauges). */
  last: number
  /** Rates: samples that were true / non-zero. */
  nonZero: number
  /** Trends: every sample value. */
  values?: Float64Array
  /** Only with `--out json`: every sample's time (unix ms) and value. */
  pointTimes?: Float64Array
  pointValues?: Float64Array
}

/** A worker's report, sent once per second and at the end. */
export interface WorkerReport {
  kind: 'metrics'
  /** Unix ms when the batch was cut. */
  at: number
  series: SeriesBatch[]
  /** p99 of how late the worker's event loop ran due timers in the last second, ms (loop-delay.ts). */
  loopDelayP99: number
  iterations: number
  iterationsInterrupted: number
  activeVus: number
}

/** Serializes a tag set to a stable key (sorted names). */
export function tagKey(tags: Readonly<Record<string, string>>): string {
  const names = Object.keys(tags).sort()
  let key = ''
  for (const name of names) key += `${name}=${tags[name] ?? ''}\u0001`
  return key
}

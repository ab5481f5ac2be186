/**
 * The worker-side metric sink: samples go into growable Float64Arrays per metric and tag
 * set, with no allocation per sample, and are cut into one batch per second for the main
 * thread.
 */
import type { MetricDefinition, MetricType, SeriesBatch, ValueKind } from './metric-types.ts'
import { tagKey } from './metric-types.ts'

const INITIAL_CAPACITY = 256

/** Samples of one metric and tag set since the last flush. */
export class SeriesBuffer {
  readonly metric: MetricDefinition
  readonly tags: Record<string, string>
  count = 0
  sum = 0
  min = Infinity
  max = -Infinity
  last = 0
  nonZero = 0
  values: Float64Array
  length = 0
  pointTimes: Float64Array | undefined
  pointValues: Float64Array | undefined
  pointLength = 0

  constructor(metric: MetricDefinition, tags: Record<string, string>, keepPoints: boolean) {
    this.metric = metric
    this.tags = tags
    this.values = new Float64Array(metric.type === 'trend' ? INITIAL_CAPACITY : 0)
    if (keepPoints) {
      this.pointTimes = new Float64Array(INITIAL_CAPACITY)
      this.pointValues = new Float64Array(INITIAL_CAPACITY)
    }
  }

  /** Records one sample. */
  add(value: number): void {
    this.count++
    this.sum += value
    if (value < this.min) this.min = value
    if (value > this.max) this.max = value
    this.last = value
    if (value !== 0) this.nonZero++
    if (this.metric.type === 'trend') {
      if (this.length === this.values.length) this.values = grow(this.values, this.length)
      this.values[this.length++] = value
    }
    if (this.pointTimes !== undefined && this.pointValues !== undefined) {
      if (this.pointLength === this.pointTimes.length) {
        this.pointTimes = grow(this.pointTimes, this.pointLength)
        this.pointValues = grow(this.pointValues, this.pointLength)
      }
      this.pointTimes[this.pointLength] = Date.now()
      this.pointValues[this.pointLength++] = value
    }
  }

  /** Cuts the samples since the last call into a batch (undefined when none) and resets. */
  cut(): SeriesBatch | undefined {
    if (this.count === 0) return undefined
    const batch: SeriesBatch = {
      metric: this.metric,
      tags: this.tags,
      count: this.count,
      sum: this.sum,
      min: this.min,
      max: this.max,
      last: this.last,
      nonZero: this.nonZero,
    }
    if (this.metric.type === 'trend') {
      batch.values = this.values.slice(0, this.length)
      this.length = 0
    }
    if (this.pointTimes !== undefined && this.pointValues !== undefined) {
      batch.pointTimes = this.pointTimes.slice(0, this.pointLength)
      batch.pointValues = this.pointValues.slice(0, this.pointLength)
      this.pointLength = 0
    }
    this.count = 0
    this.sum = 0
    this.min = Infinity
    this.max = -Infinity
    this.nonZero = 0
    return batch
  }
}

function grow(array: Float64Array, used: number): Float64Array {
  const bigger = new Float64Array(Math.max(INITIAL_CAPACITY, array.length * 2))
  bigger.set(array.subarray(0, used))
  return bigger
}

/** All series of one worker thread. */
export class MetricSink {
  readonly #metrics = new Map<string, MetricDefinition>()
  readonly #series = new Map<string, SeriesBuffer>()
  readonly #keepPoints: boolean

  /** @param keepPoints keep every sample's time and value (for `--out json`) */
  constructor(keepPoints: boolean) {
    this.#keepPoints = keepPoints
  }

  /**
   * Declares a metric; the same name with another type is a programming error, as in k6.
   *
   * @throws Error naming the metric and both types.
   */
  define(name: string, type: MetricType, contains: ValueKind): MetricDefinition {
    const known = this.#metrics.get(name)
    if (known !== undefined) {
      if (known.type !== type) {
        throw new Error(
          `metric "${name}" is already a ${known.type}; it cannot also be a ${type}: pick another name`,
        )
      }
      return known
    }
    if (!/^[A-Za-z0-9_]{1,128}$/.test(name)) {
      throw new Error(`invalid metric name "${name}": use 1-128 letters, digits or underscores`)
    }
    const metric = { name, type, contains }
    this.#metrics.set(name, metric)
    return metric
  }

  /** The series of `metric` with `tags` (created on first use). */
  seriesFor(metric: MetricDefinition, tags: Record<string, string>): SeriesBuffer {
    const key = `${metric.name}\u0000${tagKey(tags)}`
    let found = this.#series.get(key)
    if (found === undefined) {
      found = new SeriesBuffer(metric, { ...tags }, this.#keepPoints)
      this.#series.set(key, found)
    }
    return found
  }

  /** Cuts every series with new samples. */
  cut(): SeriesBatch[] {
    const batches: SeriesBatch[] = []
    for (const buffer of this.#series.values()) {
      const batch = buffer.cut()
      if (batch !== undefined) batches.push(batch)
    }
    return batches
  }
}

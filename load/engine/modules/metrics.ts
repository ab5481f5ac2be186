/**
 * `k6/metrics`: Counter, Gauge, Rate, Trend. `add` goes straight into the worker's
 * Float64Array series; the last tag object's series is cached so a script that reuses one
 * tags object pays no lookup per sample.
 *
 * The classes are shared by every VU of a worker (a class per VU would cost kilobytes per
 * VU): as in k6, metrics are created in the init context, and the constructor takes the VU
 * being initialized from {@link initializingVu}.
 */
import type { SeriesBuffer } from '../metric-sink.ts'
import type { MetricDefinition, MetricType } from '../metric-types.ts'
import type { VuContext } from '../vu-context.ts'

let current: VuContext | undefined

/** Runs `init` with `vu` as the VU whose init context creates metrics. */
export function initializingVu<T>(vu: VuContext, init: () => T): T {
  const previous = current
  current = vu
  try {
    return init()
  } finally {
    current = previous
  }
}

class Metric {
  readonly name: string
  readonly #vu: VuContext
  readonly #definition: MetricDefinition
  #lastTags: Readonly<Record<string, string>> | undefined
  #lastSeries: SeriesBuffer | undefined

  constructor(type: MetricType, name: string, isTime = false) {
    if (current === undefined) {
      throw new Error(
        `new metric "${name}" outside the init context: create metrics at the top level of the script, as k6 requires`,
      )
    }
    this.#vu = current
    this.name = name
    this.#definition = current.metric(name, type, isTime ? 'time' : 'default')
  }

  add(value: number | boolean, tags?: Record<string, string>): void {
    let series = this.#lastSeries
    if (series === undefined || tags !== this.#lastTags) {
      series = this.#vu.series(this.#definition, tags)
      this.#lastSeries = series
      this.#lastTags = tags
    }
    series.add(typeof value === 'boolean' ? (value ? 1 : 0) : value)
  }
}

class Counter extends Metric {
  constructor(name: string, isTime?: boolean) {
    super('counter', name, isTime)
  }
}
class Gauge extends Metric {
  constructor(name: string, isTime?: boolean) {
    super('gauge', name, isTime)
  }
}
class Rate extends Metric {
  constructor(name: string, isTime?: boolean) {
    super('rate', name, isTime)
  }
}
class Trend extends Metric {
  constructor(name: string, isTime?: boolean) {
    super('trend', name, isTime)
  }
}

const metricsModule: Record<string, unknown> = { Counter, Gauge, Rate, Trend }
metricsModule['default'] = metricsModule

/** The `k6/metrics` module (one object for every VU; see {@link initializingVu}). */
export function createMetricsModule(): Record<string, unknown> {
  return metricsModule
}

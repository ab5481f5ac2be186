/**
 * `k6/metrics`: Counter, Gauge, Rate, Trend. `add` goes straight into the worker's
 * Float64Array series; the last tag object's series is cached so a script that reuses one
 * tags object pays no lookup per sample.
 */
import type { SeriesBuffer } from '../metric-sink.ts'
import type { MetricDefinition, MetricType } from '../metric-types.ts'
import type { VuContext } from '../vu-context.ts'

/** Builds the `k6/metrics` module of one VU. */
export function createMetricsModule(vu: VuContext): Record<string, unknown> {
  class Metric {
    readonly name: string
    private readonly definition: MetricDefinition
    private lastTags: Readonly<Record<string, string>> | undefined
    private lastSeries: SeriesBuffer | undefined

    constructor(type: MetricType, name: string, isTime = false) {
      this.name = name
      this.definition = vu.metric(name, type, isTime ? 'time' : 'default')
    }

    add(value: number | boolean, tags?: Record<string, string>): void {
      let series = this.lastSeries
      if (series === undefined || tags !== this.lastTags) {
        series = vu.series(this.definition, tags)
        this.lastSeries = series
        this.lastTags = tags
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
  const module = { Counter, Gauge, Rate, Trend }
  return { ...module, default: module }
}

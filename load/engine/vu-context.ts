/**
 * What every module shim of one VU shares: its id and scenario, its metric sink access
 * with the VU's default tags, and the resources (sockets, requests) to release when the
 * VU is stopped hard.
 */
import type { ScenarioPlan } from './executors.ts'
import type { MetricSink, SeriesBuffer } from './metric-sink.ts'
import type { MetricDefinition, MetricType, ValueKind } from './metric-types.ts'

/** Something a VU holds open that a hard stop must close. */
export interface VuResource {
  release(): void
}

/** Thrown for a k6 API the built-in engine refuses (a synchronous call): aborts the test. */
export class ScriptMisuseError extends Error {
  override readonly name = 'ScriptMisuseError'
}

/** The per-VU state behind the module shims. */
export class VuContext {
  /** `__VU`; 0 for the main-thread instance that runs init, setup and teardown. */
  readonly id: number
  readonly scenario: ScenarioPlan | undefined
  /** Unix ms when the VU's scenario started. */
  readonly scenarioStartTime: number
  readonly sink: MetricSink
  /** Tags every sample of this VU carries (`scenario`, plus the scenario's tags). */
  readonly baseTags: Readonly<Record<string, string>>
  readonly env: Readonly<Record<string, string>>
  readonly resources = new Set<VuResource>()
  /** Iterations this VU started (`__ITER` of the running one). */
  iteration = -1
  /** Iteration index within the scenario across all VUs (as far as this VU knows). */
  iterationInScenario = -1
  /** Set by the runtime: aborts the whole test with a reason. */
  abortTest: (reason: string) => void = () => undefined
  readonly #seriesCache = new Map<string, SeriesBuffer>()

  constructor(options: {
    id: number
    scenario: ScenarioPlan | undefined
    scenarioStartTime: number
    sink: MetricSink
    env: Record<string, string>
  }) {
    this.id = options.id
    this.scenario = options.scenario
    this.scenarioStartTime = options.scenarioStartTime
    this.sink = options.sink
    this.env = options.env
    this.baseTags =
      options.scenario === undefined
        ? {}
        : { ...options.scenario.tags, scenario: options.scenario.name }
  }

  /** Declares (or finds) a metric in the worker's sink. */
  metric(name: string, type: MetricType, contains: ValueKind = 'default'): MetricDefinition {
    return this.sink.define(name, type, contains)
  }

  /** The series of `metric` with the VU's base tags plus `tags`. */
  series(metric: MetricDefinition, tags?: Readonly<Record<string, string>>): SeriesBuffer {
    if (tags === undefined) {
      let found = this.#seriesCache.get(metric.name)
      if (found === undefined) {
        found = this.sink.seriesFor(metric, { ...this.baseTags })
        this.#seriesCache.set(metric.name, found)
      }
      return found
    }
    return this.sink.seriesFor(metric, { ...this.baseTags, ...tags })
  }

  /** Closes every open socket and request (hard stop). */
  releaseAll(): void {
    for (const resource of [...this.resources]) resource.release()
    this.resources.clear()
  }
}

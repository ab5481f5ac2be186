/**
 * Runs one VU's iterations on a worker thread: the init context once, then the scenario's
 * function in a loop until the executor's end or a stop; a hard stop closes the VU's sockets
 * and requests.
 */
import type { ScenarioPlan } from './executors.ts'
import type { MetricSink } from './metric-sink.ts'
import { printScriptError } from './script-errors.ts'
import { ScriptMisuseError, VuContext } from './vu-context.ts'
import type { ScriptFactory, VuInstance } from './vu-instance.ts'
import { instantiate } from './vu-instance.ts'

/** What a VU reports to its worker. */
export interface VuHooks {
  onExit(vuId: number): void
  onAbort(reason: string, exitCode: number): void
  /** Claims one iteration of a shared-iterations scenario; false when none is left. */
  claimShared(scenario: string): boolean
  onIteration(interrupted: boolean): void
}

/** One running VU. */
export class VuRunner {
  readonly context: VuContext
  readonly #instance: VuInstance
  readonly #plan: ScenarioPlan
  #stopping = false
  #exited = false
  #hardTimer: NodeJS.Timeout | undefined
  readonly #hooks: VuHooks

  constructor(options: {
    vuId: number
    plan: ScenarioPlan
    scenarioStartTime: number
    sink: MetricSink
    env: Record<string, string>
    factory: ScriptFactory
    hooks: VuHooks
  }) {
    this.#plan = options.plan
    this.#hooks = options.hooks
    this.context = new VuContext({
      id: options.vuId,
      scenario: options.plan,
      scenarioStartTime: options.scenarioStartTime,
      sink: options.sink,
      env:
        Object.keys(options.plan.env).length > 0
          ? { ...options.env, ...options.plan.env }
          : options.env,
    })
    this.context.abortTest = (reason) => {
      options.hooks.onAbort(reason, 108)
    }
    this.#instance = instantiate(options.factory, this.context)
  }

  /** Runs iterations until the executor is done or the VU is stopped. */
  async run(setupData: unknown): Promise<void> {
    const fn = this.#instance.exports[this.#plan.exec]
    if (typeof fn !== 'function') {
      this.#hooks.onAbort(
        `the script exports no function "${this.#plan.exec}" for scenario "${this.#plan.name}"`,
        107,
      )
      this.#exit()
      return
    }
    const iterationsMetric = this.context.metric('iterations', 'counter')
    const durationMetric = this.context.metric('iteration_duration', 'trend', 'time')
    const iterations = this.context.series(iterationsMetric)
    const durations = this.context.series(durationMetric)
    const perVu = this.#plan.executor === 'per-vu-iterations' ? this.#plan.iterations : Infinity
    let done = 0
    while (!this.#stopping && done < perVu) {
      if (this.#plan.executor === 'shared-iterations' && !this.#hooks.claimShared(this.#plan.name))
        break
      this.context.iteration++
      this.context.iterationInScenario++
      this.#instance.setIter(this.context.iteration)
      const started = performance.now()
      try {
        await (fn as (data: unknown) => unknown)(setupData)
        if (this.#exited) return
        iterations.add(1)
        durations.add(performance.now() - started)
        this.#hooks.onIteration(false)
      } catch (error: unknown) {
        if (this.#exited) return
        if (error instanceof ScriptMisuseError) {
          this.#hooks.onAbort(error.message, 107)
          break
        }
        printScriptError(error, this.context.id)
        durations.add(performance.now() - started)
        this.#hooks.onIteration(false)
      }
      done++
      // An iteration that never waits on I/O would otherwise starve the worker's event
      // loop (stop messages, metric reports, other VUs): yield once per iteration.
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
    this.#exit()
  }

  /** Lets the current iteration finish, then stops; stops hard after `graceMs`. */
  stop(graceMs: number): void {
    this.#stopping = true
    if (this.#exited) return
    this.#hardTimer ??= setTimeout(() => {
      this.#hooks.onIteration(true)
      this.context.releaseAll()
      this.#exit()
    }, graceMs)
  }

  #exit(): void {
    if (this.#exited) return
    this.#exited = true
    if (this.#hardTimer !== undefined) clearTimeout(this.#hardTimer)
    this.context.releaseAll()
    this.#hooks.onExit(this.context.id)
  }
}

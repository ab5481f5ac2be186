/**
 * The engine's VU scheduler: on every tick of the main thread it starts each scenario at its
 * `startTime`, keeps its running VUs at the executor's target, stops them at the scenario's
 * end (or at once when the test aborts), and says when every scenario is done.
 */
import type { ExecutionTuple } from './execution-segment.ts'
import type { ScenarioPlan, ScenarioShare } from './executors.ts'
import { scenarioLengthMs } from './executors.ts'
import type { ToWorker } from './worker-messages.ts'

interface ScenarioState {
  plan: ScenarioPlan
  share: ScenarioShare
  /** VU ids of this scenario are `baseId + slot + 1`. */
  baseId: number
  startAt: number
  started: boolean
  ended: boolean
  /** Slot → VU id of the VUs running and not asked to stop. */
  running: Map<number, number>
  /** VUs asked to stop that have not exited yet. */
  stopping: Set<number>
  launched: number
  /** shared-iterations: each worker's share of the iterations, counted at its first VU. */
  quotas?: number[]
}

/** What the scheduler needs of the threads (the worker pool; a recording fake in tests). */
export interface VuDispatch {
  /** How many threads run VUs. */
  readonly size: number
  /** The thread (0-based) that runs VU `vuId`. */
  workerIndex(vuId: number): number
  /** Sends `message` to the thread that runs VU `vuId`. */
  postToVu(vuId: number, message: ToWorker): void
  /** Stops VUs: they end within `graceMs`. */
  stop(vuIds: readonly number[], graceMs: number): void
}

function isIterationExecutor(plan: ScenarioPlan): boolean {
  return plan.executor === 'per-vu-iterations' || plan.executor === 'shared-iterations'
}

/**
 * Takes VU `vuId` out of its scenario's running slots. Its slot follows from its id (ids are
 * `baseId + slot + 1`), so this is one lookup, not a scan of the running VUs per VU.
 */
function forgetRunning(state: ScenarioState, vuId: number): void {
  const slot = vuId - state.baseId - 1
  if (state.running.get(slot) === vuId) state.running.delete(slot)
}

/** Starts and stops the VUs of every scenario of one process's segment. */
export class VuScheduler {
  readonly #states: ScenarioState[] = []
  readonly #vuScenario = new Map<number, ScenarioState>()
  readonly #pool: VuDispatch
  readonly #segment: ExecutionTuple
  readonly #t0: number

  /** Schedules `shares` (in order, VU ids consecutive) from `t0` (unix ms) onto `pool`. */
  constructor(
    shares: readonly ScenarioShare[],
    pool: VuDispatch,
    segment: ExecutionTuple,
    t0: number,
  ) {
    this.#pool = pool
    this.#segment = segment
    this.#t0 = t0
    let baseId = 0
    for (const share of shares) {
      this.#states.push({
        plan: share.plan,
        share,
        baseId,
        startAt: 0,
        started: false,
        ended: false,
        running: new Map(),
        stopping: new Set(),
        launched: 0,
      })
      baseId += share.maxVus
    }
  }

  /** VUs running or stopping now. */
  get active(): number {
    let active = 0
    for (const state of this.#states) active += state.running.size + state.stopping.size
    return active
  }

  /** Each scenario with its stage, for the progress line: `name [running]`. */
  stages(): string {
    return this.#states
      .map((s) => `${s.plan.name} [${s.ended ? 'stopping' : s.started ? 'running' : 'waiting'}]`)
      .join(' ')
  }

  /** A VU ended: its slot is free again. */
  vuExited(vuId: number): void {
    const state = this.#vuScenario.get(vuId)
    this.#vuScenario.delete(vuId)
    if (state === undefined) return
    forgetRunning(state, vuId)
    state.stopping.delete(vuId)
  }

  /**
   * Brings every scenario to where it should be at `now` (unix ms); with `aborting` every
   * running VU is stopped at once.
   *
   * @returns true when every scenario is over and no VU is left.
   */
  schedule(now: number, aborting: boolean): boolean {
    let allDone = true
    for (const state of this.#states)
      if (!this.#scheduleScenario(state, now, aborting)) allDone = false
    return allDone
  }

  /** @returns true when the scenario is over and none of its VUs is left. */
  #scheduleScenario(state: ScenarioState, now: number, aborting: boolean): boolean {
    const { plan } = state
    const iterationExecutor = isIterationExecutor(plan)
    if (!state.started) {
      if (now - this.#t0 < plan.startTimeMs) return false
      state.started = true
      state.startAt = now
      if (iterationExecutor) for (let slot = 0; slot < plan.vus; slot++) this.#startVu(state, slot)
    }
    const elapsed = now - state.startAt
    if (aborting && !state.ended) {
      state.ended = true
      this.#stopVus(state, [...state.running.values()], 0)
    } else if (!state.ended && elapsed >= scenarioLengthMs(plan)) {
      state.ended = true
      this.#stopVus(state, [...state.running.values()], plan.gracefulStopMs)
    } else if (!state.ended && !iterationExecutor) {
      this.#followTarget(state, state.share.targetVus(elapsed))
    }
    const idle = state.running.size === 0 && state.stopping.size === 0
    // An iteration executor whose segment got no VU has nothing to wait for.
    const noWork = iterationExecutor && state.share.maxVus === 0
    return idle && (state.ended || noWork || (iterationExecutor && state.launched > 0))
  }

  /** Starts free slots up to `target` running VUs, or stops the highest slots above it. */
  #followTarget(state: ScenarioState, target: number): void {
    for (let slot = 0; state.running.size < target && slot < state.share.maxVus; slot++) {
      const vuId = state.baseId + slot + 1
      if (!state.running.has(slot) && !state.stopping.has(vuId)) this.#startVu(state, slot)
    }
    if (state.running.size > target) {
      const excess = [...state.running.entries()]
        .sort((a, b) => b[0] - a[0])
        .slice(0, state.running.size - target)
      this.#stopVus(
        state,
        excess.map(([, id]) => id),
        state.plan.gracefulRampDownMs,
      )
    }
  }

  #startVu(state: ScenarioState, slot: number): void {
    const vuId = state.baseId + slot + 1
    state.running.set(slot, vuId)
    state.launched++
    this.#vuScenario.set(vuId, state)
    const message: ToWorker = {
      kind: 'start',
      vuId,
      // Test-wide number: the VU ids of processes on other segments never collide with it.
      idInTest: this.#segment.globalNumber(vuId),
      plan: state.plan,
      scenarioStartTime: state.startAt,
      sharedQuota: this.#sharedQuota(state, this.#pool.workerIndex(vuId)),
    }
    this.#pool.postToVu(vuId, message)
  }

  /**
   * shared-iterations: iteration j belongs to slot j % vus, so a worker's share is the sum
   * over its slots (each worker claims from its own share). Counted once per scenario: a
   * worker keeps the quota of its first VU. 0 for other executors.
   */
  #sharedQuota(state: ScenarioState, workerIndex: number): number {
    if (state.plan.executor !== 'shared-iterations') return 0
    const { vus, iterations } = state.plan
    if (state.quotas === undefined) {
      const quotas = Array.from({ length: this.#pool.size }, () => 0)
      for (let s = 0; s < vus; s++) {
        const slotWorker = this.#pool.workerIndex(state.baseId + s + 1)
        const share = Math.floor(iterations / vus) + (s < iterations % vus ? 1 : 0)
        quotas[slotWorker] = (quotas[slotWorker] ?? 0) + share
      }
      state.quotas = quotas
    }
    return state.quotas[workerIndex] ?? 0
  }

  #stopVus(state: ScenarioState, vuIds: number[], graceMs: number): void {
    for (const vuId of vuIds) {
      state.stopping.add(vuId)
      forgetRunning(state, vuId)
    }
    this.#pool.stop(vuIds, graceMs)
  }
}

import { describe, expect, it } from 'vitest'
import { ExecutionTuple } from './execution-segment.ts'
import { planScenarios, scenarioShare } from './executors.ts'
import { VuScheduler, type VuDispatch } from './vu-scheduler.ts'
import type { ToWorker } from './worker-messages.ts'
import { workerIndexOf } from './worker-pool.ts'

/** A dispatch that records what the scheduler asks of the threads (two threads, runs of 1). */
class RecordingDispatch implements VuDispatch {
  readonly size = 2
  readonly started: Extract<ToWorker, { kind: 'start' }>[] = []
  readonly stops: { vuIds: number[]; graceMs: number }[] = []

  workerIndex(vuId: number): number {
    return workerIndexOf(vuId, 1, this.size)
  }

  postToVu(_vuId: number, message: ToWorker): void {
    if (message.kind === 'start') this.started.push(message)
  }

  stop(vuIds: readonly number[], graceMs: number): void {
    this.stops.push({ vuIds: [...vuIds], graceMs })
  }
}

/** A scheduler of `scenarios` (k6 options) from t0 = 0, with its recording dispatch. */
function schedulerOf(scenarios: Record<string, unknown>): {
  scheduler: VuScheduler
  dispatch: RecordingDispatch
} {
  const whole = ExecutionTuple.of()
  const shares = planScenarios({ scenarios }).map((plan) => scenarioShare(plan, whole))
  const dispatch = new RecordingDispatch()
  return { scheduler: new VuScheduler(shares, dispatch, whole, 0), dispatch }
}

describe('VuScheduler', () => {
  it('follows a ramping-vus target up and down, stopping the highest slots with the ramp-down grace', () => {
    const { scheduler, dispatch } = schedulerOf({
      ramp: {
        executor: 'ramping-vus',
        startVUs: 0,
        stages: [
          { duration: '10s', target: 4 },
          { duration: '10s', target: 0 },
        ],
        gracefulRampDown: '3s',
      },
    })
    expect(scheduler.schedule(0, false)).toBe(false)
    expect(dispatch.started).toEqual([])
    scheduler.schedule(5_000, false)
    expect(dispatch.started.map((m) => m.vuId)).toEqual([1, 2])
    scheduler.schedule(10_000, false)
    expect(scheduler.active).toBe(4)
    scheduler.schedule(15_000, false)
    expect(dispatch.stops).toEqual([{ vuIds: [4, 3], graceMs: 3_000 }])
    // Stopping VUs count as active until their thread reports them gone.
    expect(scheduler.active).toBe(4)
    scheduler.vuExited(3)
    scheduler.vuExited(4)
    expect(scheduler.active).toBe(2)
  })

  it('waits for startTime, then stops every VU at the end with the graceful stop', () => {
    const { scheduler, dispatch } = schedulerOf({
      late: {
        executor: 'constant-vus',
        vus: 2,
        duration: '5s',
        startTime: '2s',
        gracefulStop: '1s',
      },
    })
    scheduler.schedule(1_000, false)
    expect(dispatch.started).toEqual([])
    expect(scheduler.stages()).toBe('late [waiting]')
    scheduler.schedule(2_000, false)
    expect(dispatch.started.map((m) => [m.vuId, m.scenarioStartTime])).toEqual([
      [1, 2_000],
      [2, 2_000],
    ])
    expect(scheduler.schedule(7_000, false)).toBe(false)
    expect(dispatch.stops).toEqual([{ vuIds: [1, 2], graceMs: 1_000 }])
    expect(scheduler.stages()).toBe('late [stopping]')
    scheduler.vuExited(1)
    scheduler.vuExited(2)
    expect(scheduler.schedule(7_050, false)).toBe(true)
  })

  it('stops every running VU at once, with no grace, when the test aborts', () => {
    const { scheduler, dispatch } = schedulerOf({
      s: { executor: 'constant-vus', vus: 3, duration: '60s', gracefulStop: '30s' },
    })
    scheduler.schedule(0, false)
    scheduler.schedule(1_000, true)
    expect(dispatch.stops).toEqual([{ vuIds: [1, 2, 3], graceMs: 0 }])
  })

  it('splits shared iterations between the threads by the slots each one runs', () => {
    const { scheduler, dispatch } = schedulerOf({
      shared: { executor: 'shared-iterations', vus: 3, iterations: 10 },
    })
    scheduler.schedule(0, false)
    // Slots 0 and 2 (VUs 1 and 3) run on thread 0: 4 + 3 iterations; slot 1 on thread 1: 3.
    expect(dispatch.started.map((m) => [m.vuId, m.sharedQuota])).toEqual([
      [1, 7],
      [2, 3],
      [3, 7],
    ])
  })

  it('is done with an iteration executor once its VUs have all exited', () => {
    const { scheduler } = schedulerOf({
      once: { executor: 'per-vu-iterations', vus: 2, iterations: 1 },
    })
    expect(scheduler.schedule(0, false)).toBe(false)
    scheduler.vuExited(1)
    expect(scheduler.schedule(50, false)).toBe(false)
    scheduler.vuExited(2)
    expect(scheduler.schedule(100, false)).toBe(true)
  })
})

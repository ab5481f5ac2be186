/**
 * Shared by the in-thread benchmarks (vu-memory.ts, dispatch-cost.ts): VUs of
 * load/scenarios/websocket.ts run on the calling thread by the same VuRunner a worker runs.
 */
import { join } from 'node:path'
import { bundleScript } from '../engine/bundle.ts'
import type { ScenarioPlan } from '../engine/executors.ts'
import type { ScriptFactory } from '../engine/vu-instance.ts'
import { compileFactory } from '../engine/vu-instance.ts'
import { VuRunner } from '../engine/vu-runner.ts'

const ROOT = join(import.meta.dirname, '../..')

/** The WebSocket scenario compiled once for this thread. */
export async function websocketFactory(): Promise<ScriptFactory> {
  return compileFactory(
    await bundleScript(join(ROOT, 'load/scenarios/websocket.ts')),
    'websocket.ts',
  )
}

/** A constant-vus plan of `vus` VUs that hold their connection for `durationMs`. */
export function websocketPlan(vus: number, durationMs: number): ScenarioPlan {
  return {
    name: 'websocket',
    executor: 'constant-vus',
    startTimeMs: 0,
    gracefulStopMs: 0,
    exec: 'default',
    env: {},
    tags: {},
    vus,
    durationMs,
    iterations: 1,
    startVUs: 0,
    stages: [],
    gracefulRampDownMs: 0,
  }
}

const HOOKS = {
  onExit: () => undefined,
  onAbort: (reason: string) => {
    throw new Error(reason)
  },
  claimShared: () => true,
  onIteration: () => undefined,
}

/** Makes one VU on this thread (its init context runs now); `run` starts its iteration. */
export function makeVu(
  options: Omit<ConstructorParameters<typeof VuRunner>[0], 'hooks'>,
): VuRunner {
  return new VuRunner({ ...options, hooks: HOOKS })
}

/** Messages between the main thread and the VU worker threads. */
import type { ScenarioPlan } from './executors.ts'
import type { WorkerReport } from './metric-types.ts'

/** Main → worker. */
export type ToWorker =
  | {
      kind: 'init'
      source: string
      filename: string
      env: Record<string, string>
      keepPoints: boolean
      setupData: string | undefined
    }
  | {
      kind: 'start'
      /** The VU's number in this process (routing, exit reports). */
      vuId: number
      /** Its number in the whole test (`__VU`, `exec.vu.idInTest`): unique across segments. */
      idInTest: number
      plan: ScenarioPlan
      scenarioStartTime: number
      sharedQuota: number
    }
  | { kind: 'stop'; vuIds: number[]; graceMs: number }
  | { kind: 'finish' }

/** Worker → main. */
export type FromWorker =
  | WorkerReport
  | { kind: 'vuExit'; vuId: number }
  | { kind: 'abort'; reason: string; exitCode: number }
  | { kind: 'finished' }

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
      vuId: number
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

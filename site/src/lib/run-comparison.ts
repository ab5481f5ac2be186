/**
 * Run-against-run comparison: the compact rows the compare page embeds, and the pairing of two
 * runs' steps it shows (same protocol, design and connection count).
 */
import type { Protocol } from '../../../servers/transports/protocols.ts'
import type { RunEntry } from './results-loader.ts'

/** One step, reduced to what the comparison shows. */
export interface ComparedStep {
  protocol: Protocol
  design: 'reference' | 'baseline'
  connections: number
  p50: number
  p95: number
  p99: number
  gaps: number
  serverCpu: number
  rssPerConnectionKiB: number | null
  valid: boolean
}

/** One run, reduced for the compare page. */
export interface ComparedRun {
  folder: string
  runId: string
  createdAt: string
  machineLabel: string
  profile: string
  steps: ComparedStep[]
}

/** Reduces a run to what the compare page embeds. */
export const toComparedRun = (run: RunEntry): ComparedRun => ({
  folder: run.folder,
  runId: run.runId,
  createdAt: run.createdAt,
  machineLabel: run.machineLabel,
  profile: run.profile,
  steps: run.steps.map((step) => ({
    protocol: step.protocol,
    design: step.design,
    connections: step.connections,
    p50: step.latencyMs.p50,
    p95: step.latencyMs.p95,
    p99: step.latencyMs.p99,
    gaps: step.gaps,
    serverCpu: step.server.cpuPercent,
    rssPerConnectionKiB: step.server.rssPerConnectionKiB,
    valid: step.valid,
  })),
})

/** A step present in both runs. */
export interface StepPair {
  a: ComparedStep
  b: ComparedStep
}

/** Steps of `a` and `b` with the same protocol, design and connection count, in ladder order. */
export function pairSteps(a: ComparedRun, b: ComparedRun): StepPair[] {
  return a.steps
    .flatMap((step): StepPair[] => {
      const match = b.steps.find(
        (other) =>
          other.protocol === step.protocol &&
          other.design === step.design &&
          other.connections === step.connections,
      )
      return match ? [{ a: step, b: match }] : []
    })
    .sort(
      (x, y) =>
        x.a.protocol.localeCompare(y.a.protocol) ||
        x.a.design.localeCompare(y.a.design) ||
        x.a.connections - y.a.connections,
    )
}

/**
 * The ladder: one protocol and design at rising connection counts, stopped at the first
 * step over budget, losing frames, or limited by the load generator — websocket-shootout's
 * "most connections within the latency target".
 */
import { MIN_DELIVERY_RATIO } from './defaults.ts'
import type { LadderResult, StepResult } from './report-schema.ts'

/**
 * Why a step ends its ladder; null when the ladder may go on.
 *
 * The baseline loses frames by design (a per-connection timer drifts past a period and
 * skips a `seq`), so its ladder is judged on latency and delivery only — otherwise it would
 * stop at its first step and the comparison at higher counts would never be measured. Its
 * gaps are still recorded in every step.
 */
export function stopReason(step: StepResult, budgetMs: number): string | null {
  if (!step.valid) return `load generator was the limit (${step.invalidReason ?? 'saturated'})`
  const reasons: string[] = []
  if (step.latencyMs.p95 > budgetMs) {
    reasons.push(`p95 ${step.latencyMs.p95.toFixed(1)} ms over the ${budgetMs} ms budget`)
  }
  if (step.gaps > 0 && step.design === 'reference') reasons.push(`${step.gaps} frames lost (gaps)`)
  if (step.framesReceived < MIN_DELIVERY_RATIO * step.framesExpected) {
    const pct = step.framesExpected === 0 ? 0 : (100 * step.framesReceived) / step.framesExpected
    reasons.push(`${pct.toFixed(1)} % of expected frames delivered`)
  }
  return reasons.length === 0 ? null : reasons.join('; ')
}

/** The ladder's outcome from the steps it ran, in order. */
export function summariseLadder(
  protocol: StepResult['protocol'],
  design: StepResult['design'],
  steps: readonly StepResult[],
  budgetMs: number,
  failure: { connections: number; reason: string } | null,
): LadderResult {
  let maxConnectionsWithinBudget = 0
  let stoppedAt: number | null = null
  let reason: string | null = null
  for (const step of steps) {
    const why = stopReason(step, budgetMs)
    if (why === null) {
      maxConnectionsWithinBudget = Math.max(maxConnectionsWithinBudget, step.connections)
    } else {
      stoppedAt = step.connections
      reason = why
      break
    }
  }
  if (stoppedAt === null && failure !== null) {
    stoppedAt = failure.connections
    reason = failure.reason
  }
  return { protocol, design, maxConnectionsWithinBudget, stoppedAt, stopReason: reason }
}

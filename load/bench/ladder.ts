/**
 * The ladder: one protocol and design at rising connection counts, stopped at the first
 * step over budget, losing frames, or limited by the load generator — websocket-shootout's
 * "most connections within the latency target".
 */
import { EDGE_ALLOWANCE_S, MIN_DELIVERY_RATIO } from './defaults.ts'
import type { LadderResult, StepResult } from './report-schema.ts'
import { PROTOCOL_TABLE } from '../../servers/transports/protocols.ts'

/**
 * The p95 budget a protocol is judged by: short polling is stale by up to one interval by
 * design, so its budget is the base budget plus the interval (as the scenario's threshold).
 */
export function effectiveBudgetMs(plan: {
  protocol: StepResult['protocol']
  budgetMs: number
  pollIntervalS: number
}): number {
  return PROTOCOL_TABLE[plan.protocol].staleness === 'interval'
    ? plan.budgetMs + plan.pollIntervalS * 1000
    : plan.budgetMs
}

/**
 * Whether fewer frames arrived in the window than expected, beyond what the window's edges
 * explain. Frames are counted by the second the generator files them under: a generator that
 * stalls moves a second or so of frames across an edge (seen on a busy 2-core machine: one
 * second filed two seconds late), and a short-poll client receives a whole interval's frames
 * at once, so up to {@link EDGE_ALLOWANCE_S} seconds (short poll: plus one interval) of every
 * client's frames may fall outside the window without any being lost. Lost frames proper are
 * the gaps the clients count.
 */
export function underDelivered(
  step: Pick<StepResult, 'protocol' | 'framesExpected' | 'framesReceived' | 'holdS'>,
  pollIntervalS = 1,
): boolean {
  if (step.framesExpected === 0) return false
  const perSecond = step.framesExpected / step.holdS
  const edgeS =
    EDGE_ALLOWANCE_S + (PROTOCOL_TABLE[step.protocol].staleness === 'interval' ? pollIntervalS : 0)
  const allowed = Math.max((1 - MIN_DELIVERY_RATIO) * step.framesExpected, perSecond * edgeS)
  return step.framesExpected - step.framesReceived > allowed
}

/**
 * Why a step ends its ladder; null when the ladder may go on.
 *
 * The baseline loses frames by design (a per-connection timer drifts past a period and
 * skips a `seq`), so its ladder is judged on latency and delivery only — otherwise it would
 * stop at its first step and the comparison at higher counts would never be measured. Its
 * gaps are still recorded in every step.
 */
export function stopReason(step: StepResult, budgetMs: number, pollIntervalS = 1): string | null {
  // An invalid step measured the generator, not the server: it neither passes nor stops the
  // ladder, so the server's CPU and memory at higher counts are still recorded.
  if (!step.valid) return null
  const reasons: string[] = []
  if (step.latencyMs.p95 > budgetMs) {
    reasons.push(`p95 ${step.latencyMs.p95.toFixed(1)} ms over the ${budgetMs} ms budget`)
  }
  if (step.gaps > 0 && step.design === 'reference') reasons.push(`${step.gaps} frames lost (gaps)`)
  if (underDelivered(step, pollIntervalS)) {
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
  failure: { connections: number; reason: string; loadTool?: boolean } | null,
  pollIntervalS = 1,
): LadderResult {
  let maxConnectionsWithinBudget = 0
  let stoppedAt: number | null = null
  let reason: string | null = null
  for (const step of steps) {
    const why = stopReason(step, budgetMs, pollIntervalS)
    if (!step.valid) continue
    if (why === null) {
      // The baseline's ladder goes on past lost frames, but a step that lost frames is not
      // "within budget": the headline count means the same for both designs.
      if (step.withinBudget) {
        maxConnectionsWithinBudget = Math.max(maxConnectionsWithinBudget, step.connections)
      }
    } else {
      stoppedAt = step.connections
      reason = why
      break
    }
  }
  if (stoppedAt === null && failure !== null) {
    stoppedAt = failure.connections
    reason = failure.loadTool === true ? `load tool failed: ${failure.reason}` : failure.reason
    if (failure.loadTool === true) {
      return {
        protocol,
        design,
        maxConnectionsWithinBudget,
        stoppedAt,
        stopReason: reason,
        loadToolFailure: failure.reason,
      }
    }
  }
  return { protocol, design, maxConnectionsWithinBudget, stoppedAt, stopReason: reason }
}

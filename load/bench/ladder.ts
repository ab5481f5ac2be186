/**
 * The ladder: one protocol and design at rising connection counts, stopped at the first
 * step over budget, losing frames, or limited by the load generator — websocket-shootout's
 * "most connections within the latency target".
 */
import { EDGE_ALLOWANCE_S, MIN_DELIVERY_RATIO } from './defaults.ts'
import { sameVariant, type LadderResult, type StepResult } from './report-schema.ts'
import { PROTOCOL_TABLE } from '../../servers/transports/protocols.ts'
import { isProfileName, profileOf } from '../network/profiles.ts'

/**
 * The p95 budget a protocol is judged by: short polling is stale by up to one interval by
 * design, so its budget is the base budget plus the interval (as the scenario's threshold).
 * Over an emulated link the budget is what the protocol may add over the link's one-way
 * delay, the physical minimum no protocol beats: that delay is added to it.
 */
export function effectiveBudgetMs(plan: {
  protocol: StepResult['protocol']
  budgetMs: number
  pollIntervalS: number
  network?: string | undefined
}): number {
  const base =
    PROTOCOL_TABLE[plan.protocol].staleness === 'interval'
      ? plan.budgetMs + plan.pollIntervalS * 1000
      : plan.budgetMs
  const network = plan.network ?? 'loopback'
  return isProfileName(network) ? base + profileOf(network).rttMs / 2 : base
}

/**
 * Whether fewer frames arrived in the window than the schedule promises (`framesScheduled`:
 * every client connected throughout; older runs: `framesExpected`), beyond what the window's
 * edges explain. Frames are counted by the second the generator files them under: a generator that
 * stalls moves a second or so of frames across an edge (seen on a busy 2-core machine: one
 * second filed two seconds late), and a short-poll client receives a whole interval's frames
 * at once, so up to {@link EDGE_ALLOWANCE_S} seconds (short poll: plus one interval) of every
 * client's frames may fall outside the window without any being lost. Lost frames proper are
 * the gaps the clients count.
 */
export function underDelivered(
  step: Pick<StepResult, 'protocol' | 'framesExpected' | 'framesReceived' | 'holdS'> & {
    framesScheduled?: number | undefined
  },
  pollIntervalS = 1,
): boolean {
  const scheduled = scheduledFrames(step)
  if (scheduled === 0) return false
  const perSecond = scheduled / step.holdS
  const edgeS =
    EDGE_ALLOWANCE_S + (PROTOCOL_TABLE[step.protocol].staleness === 'interval' ? pollIntervalS : 0)
  const allowed = Math.max((1 - MIN_DELIVERY_RATIO) * scheduled, perSecond * edgeS)
  return scheduled - step.framesReceived > allowed
}

/** The frames a step's schedule promised (older runs recorded it as `framesExpected`). */
export function scheduledFrames(step: {
  framesExpected: number
  framesScheduled?: number | undefined
}): number {
  return step.framesScheduled ?? step.framesExpected
}

/**
 * The share of due frames delivered, percent: received ÷ expected (received + found missing),
 * at most 100 by construction; null when none were due. Older runs held the schedule in
 * `framesExpected`, where edge effects could pass 100: read as 100.
 */
export function deliveredPercent(step: {
  framesExpected: number
  framesReceived: number
}): number | null {
  if (step.framesExpected === 0) return null
  return Math.min(100, (100 * step.framesReceived) / step.framesExpected)
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
  if (underDelivered(step, pollIntervalS)) reasons.push(arrivedOfScheduled(step))
  return reasons.length === 0 ? null : reasons.join('; ')
}

/** An under-delivered step's shortfall in words (its schedule is above 0, or it is not under-delivered). */
function arrivedOfScheduled(step: StepResult): string {
  const pct = (100 * step.framesReceived) / scheduledFrames(step)
  return `${pct.toFixed(1)} % of the scheduled frames arrived`
}

/**
 * An invalid step in words: an instrument, not the server, was the limit — the load generator
 * or the link emulator, as the reason says.
 */
function invalidText(step: StepResult): string {
  const reason = step.invalidReason ?? 'saturated'
  const instrument = reason.startsWith('link emulator') ? 'the link emulator' : 'the load generator'
  return `invalid: ${instrument} was the limit (${reason})`
}

/**
 * The ladder's outcome from the steps it ran, in order: the verdict by the one rule
 * ({@link ladderVerdict}: most connections within budget, first failed step and why) and
 * where the climb stopped (`stoppedAt`, by {@link stopReason}, lost frames on the baseline do
 * not stop it; an invalid step stops it only with `stopAtInvalid`, the bench's default).
 */
export function summariseLadder(
  protocol: StepResult['protocol'],
  design: StepResult['design'],
  steps: readonly StepResult[],
  parameters: { budgetMs: number; pollIntervalS: number },
  failure: { connections: number; reason: string; loadTool?: boolean } | null,
  stopAtInvalid = false,
): LadderResult {
  const verdict = ladderVerdict(steps, { parameters })
  let stoppedAt: number | null = null
  let reason: string | null = null
  for (const step of steps) {
    const why =
      stopAtInvalid && !step.valid
        ? `${invalidText(step)}; --full climbs on`
        : stopReason(
            step,
            effectiveBudgetMs({ protocol, ...parameters, network: step.network }),
            parameters.pollIntervalS,
          )
    if (why !== null) {
      stoppedAt = step.connections
      reason = why
      break
    }
  }
  const outcome = {
    protocol,
    design,
    maxConnectionsWithinBudget: verdict.withinBudget,
    firstFailed: verdict.firstFailed,
  }
  if (stoppedAt === null && failure !== null) {
    // A step that could not run fails the ladder there, if nothing failed below it.
    const firstFailed = verdict.firstFailed ?? {
      connections: failure.connections,
      reason: failure.loadTool === true ? `load tool failed: ${failure.reason}` : failure.reason,
    }
    stoppedAt = failure.connections
    reason = failure.loadTool === true ? `load tool failed: ${failure.reason}` : failure.reason
    return {
      ...outcome,
      firstFailed,
      stoppedAt,
      stopReason: reason,
      ...(failure.loadTool === true ? { loadToolFailure: failure.reason } : {}),
    }
  }
  return { ...outcome, stoppedAt, stopReason: reason }
}

/**
 * What keeps a step from holding, in words; empty when it holds: valid (the load generator was
 * not the limit), every client held, every frame delivered, p95 within the budget. The one
 * rule for a step: the ladder's verdict, the end table and the site's citations use it.
 * Without the run's `parameters` a step's own `withinBudget` decides the budget.
 */
export function stepShortfalls(
  step: StepResult,
  run: { parameters?: { budgetMs: number; pollIntervalS: number } | undefined },
): string[] {
  const shortfalls: string[] = []
  if (!step.valid) shortfalls.push(invalidText(step))
  // A short-poll client holds nothing between requests: its `open` counts requests in flight.
  if (PROTOCOL_TABLE[step.protocol].guard !== 'poll' && step.connected < step.connections)
    shortfalls.push(
      `${step.connected.toLocaleString('en-GB')} of ${step.connections.toLocaleString('en-GB')} clients held`,
    )
  const pollIntervalS = run.parameters?.pollIntervalS ?? 1
  const lost = step.gaps > 0 || underDelivered(step, pollIntervalS)
  if (lost)
    shortfalls.push(
      step.gaps > 0 ? `${step.gaps.toLocaleString('en-GB')} frames lost` : arrivedOfScheduled(step),
    )
  const budgetMs =
    run.parameters === undefined
      ? undefined
      : effectiveBudgetMs({ protocol: step.protocol, ...run.parameters, network: step.network })
  const overBudget =
    budgetMs === undefined ? !step.withinBudget && !lost : step.latencyMs.p95 > budgetMs
  if (overBudget) {
    const budget = budgetMs === undefined ? '' : ` ${String(budgetMs)} ms`
    shortfalls.push(`p95 ${step.latencyMs.p95.toFixed(0)} ms over the${budget} budget`)
  }
  return shortfalls
}

/** A ladder's outcome by the one rule. */
export interface LadderVerdict {
  /** Most connections of a step that holds with every step below it holding; 0 when the first failed. */
  withinBudget: number
  /** The first step that does not hold, and why; null when every step holds. */
  firstFailed: { connections: number; reason: string } | null
}

/**
 * The verdict on one ladder's steps (any order): most connections within budget N, with every
 * lower step holding too, and the first step that failed with its reason
 * ({@link stepShortfalls}: invalid, clients not held, frames lost, over budget).
 */
export function ladderVerdict(
  steps: readonly StepResult[],
  run: { parameters?: { budgetMs: number; pollIntervalS: number } | undefined },
): LadderVerdict {
  let withinBudget = 0
  for (const step of [...steps].sort((a, b) => a.connections - b.connections)) {
    const shortfalls = stepShortfalls(step, run)
    if (shortfalls.length > 0)
      return {
        withinBudget,
        firstFailed: { connections: step.connections, reason: shortfalls.join('; ') },
      }
    withinBudget = step.connections
  }
  return { withinBudget, firstFailed: null }
}

/** The verdict in words, the same in the terminal, report.json and the site. */
export function formatLadderVerdict(verdict: LadderVerdict): string {
  const within = `most connections within budget ${verdict.withinBudget.toLocaleString('en-GB')}`
  return verdict.firstFailed === null
    ? `${within}; every step held`
    : `${within}; first failed step ${verdict.firstFailed.connections.toLocaleString('en-GB')}: ${verdict.firstFailed.reason}`
}

/**
 * A recorded ladder's verdict: as the bench wrote it (`firstFailed`), or, for a run written
 * before it did, by the same rule from the run's steps of that ladder.
 */
export function verdictOf(
  ladder: LadderResult,
  run: {
    steps: readonly StepResult[]
    parameters?: { budgetMs: number; pollIntervalS: number } | undefined
  },
): LadderVerdict {
  if (ladder.firstFailed !== undefined)
    return { withinBudget: ladder.maxConnectionsWithinBudget, firstFailed: ladder.firstFailed }
  const steps = run.steps.filter(
    (step) =>
      step.protocol === ladder.protocol &&
      step.design === ladder.design &&
      sameVariant(step, ladder),
  )
  return ladderVerdict(steps, run)
}

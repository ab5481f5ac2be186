/**
 * Scenario plans: k6 options (`scenarios`, or the `vus`/`duration`/`iterations`/`stages`
 * shortcuts, or the `--vus`/`--duration`/`--iterations` flags) turned into executor plans,
 * and how many VUs each executor wants at a given time.
 */
import { durationMs } from './duration.ts'
import type { ExecutionTuple } from './execution-segment.ts'

/** Executors the engine runs. */
export const EXECUTORS = Object.freeze([
  'constant-vus',
  'ramping-vus',
  'per-vu-iterations',
  'shared-iterations',
] as const)

/** One of {@link EXECUTORS}. */
export type ExecutorName = (typeof EXECUTORS)[number]

/** One ramping-vus stage. */
export interface Stage {
  durationMs: number
  target: number
}

/** A scenario with every default applied (k6's defaults). */
export interface ScenarioPlan {
  name: string
  executor: ExecutorName
  /** Offset from the test start, ms (`startTime`, default 0). */
  startTimeMs: number
  /** Time iterations may run past the end (`gracefulStop`, default 30s). */
  gracefulStopMs: number
  /** Exported function the VUs run (`exec`, default `default`). */
  exec: string
  env: Record<string, string>
  tags: Record<string, string>
  /** constant-vus, per-vu-iterations, shared-iterations: VU count (default 1). */
  vus: number
  /** constant-vus: duration; iteration executors: `maxDuration` (default 10m). */
  durationMs: number
  /** per-vu-iterations (per VU), shared-iterations (in total); default 1. */
  iterations: number
  /** ramping-vus. */
  startVUs: number
  stages: Stage[]
  gracefulRampDownMs: number
}

/** Overrides from the command line, as in `k6 run --vus 10 --duration 30s`. */
export interface ExecutionFlags {
  vus?: number
  durationMs?: number
  iterations?: number
}

interface RawScenario {
  executor?: unknown
  startTime?: unknown
  gracefulStop?: unknown
  exec?: unknown
  env?: unknown
  tags?: unknown
  vus?: unknown
  duration?: unknown
  maxDuration?: unknown
  iterations?: unknown
  startVUs?: unknown
  stages?: unknown
  gracefulRampDown?: unknown
}

function optionalDuration(value: unknown, fallback: string, where: string): number {
  if (value === undefined) return durationMs(fallback)
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new Error(`${where} must be a duration string such as "30s"`)
  }
  return durationMs(value)
}

function optionalCount(value: unknown, fallback: number, where: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new Error(`${where} must be a non-negative integer, got ${JSON.stringify(value)}`)
  }
  return value
}

function stringRecord(value: unknown, where: string): Record<string, string> {
  if (value === undefined) return {}
  if (typeof value !== 'object' || value === null) throw new Error(`${where} must be an object`)
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]))
}

function parseStages(value: unknown, where: string): Stage[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new Error(`${where} must be a non-empty array of { duration, target }`)
  }
  return value.map((stage: unknown, index) => {
    const raw = (stage ?? {}) as { duration?: unknown; target?: unknown }
    return {
      durationMs: optionalDuration(raw.duration, '0s', `${where}[${index}].duration`),
      target: optionalCount(raw.target, 0, `${where}[${index}].target`),
    }
  })
}

/**
 * Builds one plan from a k6 scenario object.
 *
 * @throws Error naming the scenario and the bad field, or an unsupported executor.
 */
export function planScenario(name: string, raw: RawScenario): ScenarioPlan {
  const where = `scenario "${name}"`
  const executor = raw.executor
  if (typeof executor !== 'string' || !(EXECUTORS as readonly string[]).includes(executor)) {
    throw new Error(
      `${where}: executor ${JSON.stringify(executor)} is not supported by the built-in engine; use one of ${EXECUTORS.join(', ')} (or run with --engine k6)`,
    )
  }
  const isIterations = executor === 'per-vu-iterations' || executor === 'shared-iterations'
  if (executor === 'constant-vus' && raw.duration === undefined) {
    throw new Error(`${where}: constant-vus needs a duration`)
  }
  return {
    name,
    executor: executor as ExecutorName,
    startTimeMs: optionalDuration(raw.startTime, '0s', `${where}.startTime`),
    gracefulStopMs: optionalDuration(raw.gracefulStop, '30s', `${where}.gracefulStop`),
    exec: typeof raw.exec === 'string' ? raw.exec : 'default',
    env: stringRecord(raw.env, `${where}.env`),
    tags: stringRecord(raw.tags, `${where}.tags`),
    vus: optionalCount(raw.vus, 1, `${where}.vus`),
    durationMs: isIterations
      ? optionalDuration(raw.maxDuration, '10m', `${where}.maxDuration`)
      : optionalDuration(raw.duration, '0s', `${where}.duration`),
    iterations: optionalCount(raw.iterations, 1, `${where}.iterations`),
    startVUs: optionalCount(raw.startVUs, 1, `${where}.startVUs`),
    stages: executor === 'ramping-vus' ? parseStages(raw.stages, `${where}.stages`) : [],
    gracefulRampDownMs: optionalDuration(raw.gracefulRampDown, '30s', `${where}.gracefulRampDown`),
  }
}

/**
 * The scenarios of a test, as k6 derives them: flags first (`--vus` with `--duration` →
 * constant-vus, with `--iterations` → shared-iterations), then `options.scenarios`, then the
 * `stages`/`duration`/`iterations` shortcuts, else one VU running one iteration.
 */
export function planScenarios(
  options: Record<string, unknown>,
  flags: ExecutionFlags = {},
): ScenarioPlan[] {
  const vus = flags.vus ?? (typeof options['vus'] === 'number' ? options['vus'] : undefined)
  if (flags.durationMs !== undefined) {
    return [
      planScenario('default', {
        executor: 'constant-vus',
        vus: vus ?? 1,
        duration: `${flags.durationMs}ms`,
      }),
    ]
  }
  if (flags.iterations !== undefined) {
    return [
      planScenario('default', {
        executor: 'shared-iterations',
        vus: vus ?? 1,
        iterations: flags.iterations,
      }),
    ]
  }
  const scenarios = options['scenarios']
  if (scenarios !== undefined && scenarios !== null && typeof scenarios === 'object') {
    const plans = Object.entries(scenarios).map(([name, raw]) =>
      planScenario(name, raw as RawScenario),
    )
    if (plans.length > 0) {
      if (flags.vus !== undefined) {
        throw new Error(
          "--vus replaces the script's scenarios only together with --duration or --iterations",
        )
      }
      return plans
    }
  }
  if (options['stages'] !== undefined) {
    return [
      planScenario('default', {
        executor: 'ramping-vus',
        startVUs: vus ?? 1,
        stages: options['stages'],
      }),
    ]
  }
  if (options['duration'] !== undefined) {
    return [
      planScenario('default', {
        executor: 'constant-vus',
        vus: vus ?? 1,
        duration: options['duration'],
      }),
    ]
  }
  if (options['iterations'] !== undefined) {
    return [
      planScenario('default', {
        executor: 'shared-iterations',
        vus: vus ?? 1,
        iterations: options['iterations'],
      }),
    ]
  }
  return [planScenario('default', { executor: 'per-vu-iterations', vus: vus ?? 1, iterations: 1 })]
}

/** Length of a scenario's regular run (without graceful stop), ms. */
export function scenarioLengthMs(plan: ScenarioPlan): number {
  if (plan.executor === 'ramping-vus') return plan.stages.reduce((sum, s) => sum + s.durationMs, 0)
  return plan.durationMs
}

/** The most VUs a scenario ever needs. */
export function maxVus(plan: ScenarioPlan): number {
  if (plan.executor === 'ramping-vus')
    return Math.max(plan.startVUs, ...plan.stages.map((s) => s.target))
  return plan.vus
}

/**
 * VUs a scenario wants `elapsedMs` after its own start: ramping-vus interpolates linearly
 * inside each stage, rounding toward the stage's starting count (as k6 adds one VU only
 * once the ramp reaches it); the others hold their VU count for their whole length.
 */
export function targetVus(plan: ScenarioPlan, elapsedMs: number): number {
  if (elapsedMs < 0) return 0
  if (plan.executor !== 'ramping-vus') return elapsedMs <= plan.durationMs ? plan.vus : 0
  let from = plan.startVUs
  let stageStart = 0
  for (const stage of plan.stages) {
    const stageEnd = stageStart + stage.durationMs
    if (elapsedMs < stageEnd) {
      const progress = stage.durationMs === 0 ? 1 : (elapsedMs - stageStart) / stage.durationMs
      const exact = from + (stage.target - from) * progress
      return stage.target >= from ? Math.floor(exact + 1e-9) : Math.ceil(exact - 1e-9)
    }
    from = stage.target
    stageStart = stageEnd
  }
  return from
}

/**
 * What one process runs of a scenario under an execution segment, as k6 splits it: the plan
 * its workers get (VUs, and shared-iterations' iterations, scaled to this segment), the most
 * VUs it needs, and how many it wants at a time. ramping-vus keeps the test's own stages and
 * time: this process runs the VUs whose test-wide numbers its segment owns, each from the
 * moment the whole test's ramp reaches that number, so the processes' VU counts add up to the
 * unsplit ramp at every moment.
 */
export interface ScenarioShare {
  /** The plan the workers run (VU counts already this segment's). */
  plan: ScenarioPlan
  /** The most VUs this process needs for the scenario. */
  maxVus: number
  /** VUs this process wants `elapsedMs` after the scenario's start. */
  targetVus(elapsedMs: number): number
}

/** The part of `plan` that the segment of `tuple` runs. */
export function scenarioShare(plan: ScenarioPlan, tuple: ExecutionTuple): ScenarioShare {
  if (plan.executor === 'ramping-vus') {
    return {
      plan,
      maxVus: tuple.scale(maxVus(plan)),
      targetVus: (elapsedMs) => tuple.scale(targetVus(plan, elapsedMs)),
    }
  }
  const vus = tuple.scale(plan.vus)
  // k6 splits shared iterations by the VUs each segment got (GetNewExecutionTupleFromValue).
  const iterations =
    plan.executor === 'shared-iterations'
      ? (tuple.rescaled(plan.vus)?.scale(plan.iterations) ?? 0)
      : plan.iterations
  const local = { ...plan, vus, iterations }
  return { plan: local, maxVus: vus, targetVus: (elapsedMs) => targetVus(local, elapsedMs) }
}

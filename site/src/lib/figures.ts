/**
 * Picks a cited figure out of a run and formats it. Values come from `METRICS[id].pick` applied
 * to a step of a report a bench run wrote; nothing here holds a measured number.
 */
import { METRICS, type MetricId, type StepResult } from '../../../load/bench/report-schema.ts'
import type { Protocol } from '../../../servers/feed/messages.ts'
import type { RunEntry } from './results-loader.ts'

/** True when `id` names a metric of the catalog. */
export const isMetricId = (id: string): id is MetricId => Object.hasOwn(METRICS, id)

/**
 * The run figures are cited from: the committed `reference` run when there is one, otherwise the
 * newest run. Undefined when `results/` holds no run.
 */
export function defaultRun(runs: readonly RunEntry[]): RunEntry | undefined {
  const reference = runs.find((run) => run.folder === 'reference')
  if (reference) return reference
  return [...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]
}

/** The step of `run` for one protocol, design and connection count. */
export function findStep(
  run: RunEntry,
  protocol: Protocol,
  design: 'reference' | 'baseline',
  connections: number,
): StepResult | undefined {
  return run.steps.find(
    (step) =>
      step.protocol === protocol && step.design === design && step.connections === connections,
  )
}

/**
 * The connection count to cite when a citation names none: the largest step that every listed
 * protocol reached in the run. Undefined when they share no step.
 */
export function largestSharedStep(
  run: RunEntry,
  protocols: readonly Protocol[],
  design: 'reference' | 'baseline',
): number | undefined {
  const counts = protocols.map(
    (protocol) =>
      new Set(
        run.steps
          .filter((step) => step.protocol === protocol && step.design === design)
          .map((step) => step.connections),
      ),
  )
  const [first, ...rest] = counts
  if (!first) return undefined
  const shared = [...first].filter((count) => rest.every((set) => set.has(count)))
  return shared.length === 0 ? undefined : Math.max(...shared)
}

/** Formats a value with its unit: two significant decimals under 10, whole numbers above. */
export function formatFigure(value: number | null, unit: string): string {
  if (value === null) return 'not measured'
  const digits = Math.abs(value) < 10 && !Number.isInteger(value) ? 1 : 0
  const number = value.toLocaleString('en-GB', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })
  if (unit === '%') return `${number} %`
  if (unit === 'frames' || unit === 'resets') return number
  return `${number} ${unit}`
}

/**
 * Picks a cited figure out of a run and formats it. Values come from `METRICS[id].pick` applied
 * to a step of a report a bench run wrote; nothing here holds a measured number.
 */
import {
  METRICS,
  isDefaultVariant,
  sameVariant,
  stepSchema,
  variantLabel,
  type MetricId,
  type StepResult,
  type Variant,
} from '../../../load/bench/report-schema.ts'
import { FEED_ENCODINGS } from '../../../servers/feed/binary-layout.ts'
import type { Protocol } from '../../../servers/feed/messages.ts'
import type { RunEntry } from './results-loader.ts'

/**
 * What figures are picked from: a site run (default-variant `steps` plus `variantSteps`) or a raw
 * `report.json` (every variant in `steps`). Steps are always matched by their variant fields.
 */
export interface CitableRun {
  steps: readonly StepResult[]
  variantSteps?: readonly StepResult[] | undefined
}

/** The steps of one variant, from whichever list holds them. */
function stepsOfVariant(run: CitableRun, variant: Variant): StepResult[] {
  const pool = isDefaultVariant(variant) ? run.steps : [...run.steps, ...(run.variantSteps ?? [])]
  return pool.filter((step) => sameVariant(step, variant))
}

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

/**
 * The step of `run` for one protocol, design, connection count and variant.
 * @param variant `topology` / `encoding`; omitted: the default variant (one server, JSON frames)
 */
export function findStep(
  run: CitableRun,
  protocol: Protocol,
  design: 'reference' | 'baseline',
  connections: number,
  variant: Variant = {},
): StepResult | undefined {
  return stepsOfVariant(run, variant).find(
    (step) =>
      step.protocol === protocol && step.design === design && step.connections === connections,
  )
}

/**
 * The connection count to cite when a citation names none: the largest step that every listed
 * protocol reached in the run. Undefined when they share no step.
 */
export function largestSharedStep(
  run: CitableRun,
  protocols: readonly Protocol[],
  design: 'reference' | 'baseline',
  variant: Variant = {},
): number | undefined {
  const steps = stepsOfVariant(run, variant)
  const counts = protocols.map(
    (protocol) =>
      new Set(
        steps
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

/** The command that makes a run with variant steps (cluster topology, binary encoding). */
export const VARIANT_BENCH_COMMAND = 'npm run bench -- --cluster 2 --encodings json,binary'

/** What a `<Measured>` tag or a frontmatter `metrics` entry cites. */
export interface Citation {
  /** An id of `METRICS`. */
  id: string
  protocols: readonly Protocol[]
  connections?: number | undefined
  design?: 'reference' | 'baseline' | undefined
  /** `single` (default) or `cluster-N`. */
  topology?: string | undefined
  /** `json` (default) or `binary`. */
  encoding?: string | undefined
}

/** The variant a citation names (an empty object for the default variant). */
export const citedVariant = (citation: Citation): Variant => ({
  ...(citation.topology === undefined ? {} : { topology: citation.topology }),
  ...(citation.encoding === undefined ? {} : { encoding: citation.encoding }),
})

/** `' (cluster-2)'`, `' (single/binary)'`…: how a figure says which variant it is from; empty for the default. */
export const variantNote = (variant: Variant): string =>
  isDefaultVariant(variant) ? '' : ` (${variantLabel(variant)})`

/**
 * Why a citation cannot be shown, or undefined when it can. A topology or encoding that is not
 * one the bench knows is always a problem; a variant other than the default must also have been
 * measured in `run` — for every cited protocol at the cited (or largest shared) connection count —
 * since a variant figure is cited on purpose and “not measured” would hide a stale citation.
 * Default-variant citations keep showing “not measured” instead, as before variants existed.
 * @param run the run figures are cited from; undefined when there is none (nothing to check against)
 * @param where names the run's file in the message, e.g. `results/reference/report.json`
 */
export function citationProblem(
  run: CitableRun | undefined,
  citation: Citation,
  where: string,
): string | undefined {
  const { topology, encoding } = citation
  if (topology !== undefined && !stepSchema.shape.topology.safeParse(topology).success)
    return `topology "${topology}" is not single or cluster-N`
  const encodings: readonly string[] = FEED_ENCODINGS
  if (encoding !== undefined && !encodings.includes(encoding))
    return `encoding "${encoding}" is not one of ${FEED_ENCODINGS.join(', ')}`
  const variant = citedVariant(citation)
  if (run === undefined || isDefaultVariant(variant)) return undefined
  const design = citation.design ?? 'reference'
  const label = `${design} design, ${variantLabel(variant)}`
  const steps = stepsOfVariant(run, variant).filter((step) => step.design === design)
  const unmeasured = citation.protocols.filter(
    (protocol) => !steps.some((step) => step.protocol === protocol),
  )
  if (unmeasured.length > 0)
    return `${where} has no ${unmeasured.join(', ')} step of that variant (${label}); a run with variants: ${VARIANT_BENCH_COMMAND}`
  const count = citation.connections ?? largestSharedStep(run, citation.protocols, design, variant)
  if (count === undefined)
    return `${where} has no connection count that ${citation.protocols.join(', ')} all reached (${label})`
  const missing = citation.protocols.filter(
    (protocol) => findStep(run, protocol, design, count, variant) === undefined,
  )
  return missing.length === 0
    ? undefined
    : `${where} has no ${missing.join(', ')} step at ${count} connections (${label})`
}

/**
 * Picks a cited figure out of a run and formats it. Values come from `METRICS[id].pick` applied
 * to a step of a report a bench run wrote; nothing here holds a measured number.
 */
import {
  isDefaultVariant,
  sameVariant,
  stepSchema,
  variantLabel,
  type StepResult,
  type Variant,
} from '../../../load/bench/report-schema.ts'
import { stepShortfalls } from '../../../load/bench/ladder.ts'
import { FEED_ENCODINGS } from '../../../servers/feed/binary-layout.ts'
import { PROFILE_NAMES, isProfileName } from '../../../load/network/profiles.ts'
import type { Protocol } from '../../../servers/transports/protocols.ts'
import type { RunEntry } from './results-loader.ts'

/**
 * What figures are picked from: a site run (default-variant `steps` plus `variantSteps`) or a raw
 * `report.json` (every variant in `steps`). Steps are always matched by their variant fields.
 */
export interface CitableRun {
  steps: readonly StepResult[]
  variantSteps?: readonly StepResult[] | undefined
  /** The run's budget and poll interval; absent: a step's own `withinBudget` decides. */
  parameters?: { budgetMs: number; pollIntervalS: number } | undefined
}

/** The steps of one variant, from whichever list holds them. */
function stepsOfVariant(run: CitableRun, variant: Variant): StepResult[] {
  const pool = isDefaultVariant(variant) ? run.steps : [...run.steps, ...(run.variantSteps ?? [])]
  return pool.filter((step) => sameVariant(step, variant))
}

/** Whether the run measured `variant` at all (any step, any design). */
export function measuresVariant(run: CitableRun, variant: Variant): boolean {
  return stepsOfVariant(run, variant).length > 0
}

/**
 * The run figures are cited from: the committed `published` run when there is one, otherwise the
 * newest run. Undefined when `results/` holds no run.
 */
export function defaultRun(runs: readonly RunEntry[]): RunEntry | undefined {
  const published = runs.find((run) => run.folder === 'published')
  if (published) return published
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

/** The command that makes a run with variant steps (cluster topology, binary encoding, links). */
export const VARIANT_BENCH_COMMAND =
  'npm run bench -- --cluster 2 --encodings json,binary --network 4g,3g,4g-lossy'

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
  /** A profile of load/network/profiles.ts: `loopback` (default), `4g`, `3g`, `4g-lossy`, … */
  network?: string | undefined
  /**
   * Cites a step that does not hold, on purpose: why its failure teaches something. The page
   * states the failure in words. Without it only steps that hold may be cited.
   */
  failed?: string | undefined
}

/** The variant a citation names (an empty object for the default variant). */
export const citedVariant = (citation: Citation): Variant => ({
  ...(citation.topology === undefined ? {} : { topology: citation.topology }),
  ...(citation.encoding === undefined ? {} : { encoding: citation.encoding }),
  ...(citation.network === undefined || citation.network === 'loopback'
    ? {}
    : { network: citation.network }),
})

/** One cited protocol's step and what keeps it from holding (empty when it holds). */
export interface CitedStep {
  protocol: Protocol
  step: StepResult
  shortfalls: string[]
}

/** A citation resolved to one step per protocol, at one load and variant for all of them. */
export interface ResolvedCitation {
  connections: number
  design: 'reference' | 'baseline'
  variant: Variant
  steps: CitedStep[]
  /** The citation's `failed=` reason, when it cites a failed step on purpose. */
  failed: string | undefined
}

/** A topology, encoding or network the bench does not know. */
function attributeProblem(citation: Citation): string | undefined {
  const { topology, encoding, network } = citation
  if (topology !== undefined && !stepSchema.shape.topology.safeParse(topology).success)
    return `topology "${topology}" is not single or cluster-N`
  const encodings: readonly string[] = FEED_ENCODINGS
  if (encoding !== undefined && !encodings.includes(encoding))
    return `encoding "${encoding}" is not one of ${FEED_ENCODINGS.join(', ')}`
  if (network !== undefined && !isProfileName(network))
    return `network "${network}" is not one of ${PROFILE_NAMES.join(', ')}`
  return undefined
}

/**
 * The one resolver every citation goes through (`<Measured>`, frontmatter `metrics`, the seed
 * claims table). A citation resolves to a step of every protocol it names, at the same
 * connection count, design and variant, and each of those steps must hold (see
 * {@link stepShortfalls}). Without `connections` it takes the largest count where all of them
 * hold. With `failed="why"` it may cite steps that do not hold (the cited or the largest shared
 * count), but then at least one must fail, so the reason is never stale.
 * @param where names the run's file in problems, e.g. `results/published/report.json`
 * @returns the resolution, or a problem that names what is wrong and what to do
 */
export function resolveCitation(
  run: CitableRun,
  citation: Citation,
  where: string,
): ResolvedCitation | string {
  const problem = attributeProblem(citation)
  if (problem !== undefined) return problem
  if (citation.failed !== undefined && citation.failed.trim() === '')
    return 'failed="" must say why the failure teaches something'
  const variant = citedVariant(citation)
  const design = citation.design ?? 'reference'
  const label = `${design} design, ${variantLabel(variant)}`
  const steps = stepsOfVariant(run, variant).filter((step) => step.design === design)
  const unmeasured = citation.protocols.filter(
    (protocol) => !steps.some((step) => step.protocol === protocol),
  )
  if (unmeasured.length > 0)
    return isDefaultVariant(variant)
      ? `${where} has no ${unmeasured.join(', ')} step (${label})`
      : `${where} has no ${unmeasured.join(', ')} step of that variant (${label}); a run with variants: ${VARIANT_BENCH_COMMAND}`
  const at = (count: number): CitedStep[] | undefined => {
    const cited: CitedStep[] = []
    for (const protocol of citation.protocols) {
      const step = findStep(run, protocol, design, count, variant)
      if (step === undefined) return undefined
      cited.push({ protocol, step, shortfalls: stepShortfalls(step, run) })
    }
    return cited
  }
  const holds = (cited: CitedStep[]): boolean => cited.every((c) => c.shortfalls.length === 0)
  const counts = [...new Set(steps.map((step) => step.connections))].sort((a, b) => b - a)
  const largestHolding = counts.find((count) => {
    const cited = at(count)
    return cited !== undefined && holds(cited)
  })
  const hint =
    largestHolding === undefined
      ? `no step of ${citation.protocols.join(', ')} holds in ${where} (${label})`
      : `the largest step where ${citation.protocols.join(', ')} all hold is ${largestHolding.toLocaleString('en-GB')} connections`
  const explain = (cited: CitedStep[]): string =>
    cited
      .filter((c) => c.shortfalls.length > 0)
      .map((c) => `${c.protocol} ${c.shortfalls.join(', ')}`)
      .join('; ')
  const count =
    citation.connections ??
    (citation.failed === undefined
      ? largestHolding
      : largestSharedStep(run, citation.protocols, design, variant))
  if (count === undefined)
    return `${where} has no connection count where ${citation.protocols.join(', ')} all hold (${label}); cite a step that holds, or mark the citation failed="why this failure teaches something"`
  const cited = at(count)
  if (cited === undefined) {
    const missing = citation.protocols.filter(
      (protocol) => findStep(run, protocol, design, count, variant) === undefined,
    )
    return `${where} has no ${missing.join(', ')} step at ${count} connections (${label})`
  }
  if (citation.failed === undefined && !holds(cited))
    return `${where} at ${count.toLocaleString('en-GB')} connections (${label}): ${explain(cited)}; ${hint}, or mark the citation failed="why this failure teaches something"`
  if (citation.failed !== undefined && holds(cited))
    return `failed="${citation.failed}" but every cited step holds at ${count.toLocaleString('en-GB')} connections (${label}); drop failed=`
  return { connections: count, design, variant, steps: cited, failed: citation.failed }
}

/**
 * Why a citation cannot be shown, or undefined when it can (see {@link resolveCitation}).
 * @param run the run figures are cited from; undefined when there is none (nothing to check against)
 * @param where names the run's file in the message, e.g. `results/published/report.json`
 */
export function citationProblem(
  run: CitableRun | undefined,
  citation: Citation,
  where: string,
): string | undefined {
  if (run === undefined) return attributeProblem(citation)
  const resolved = resolveCitation(run, citation, where)
  return typeof resolved === 'string' ? resolved : undefined
}

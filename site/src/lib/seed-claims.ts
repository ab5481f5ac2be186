/**
 * Seed 004's comparison table: claimed figures (copied from shared/seed-claims.json, see
 * data/README.md) paired with the values a run measured.
 */
import { z } from 'astro/zod'
import claimsJson from '../data/seed-claims.json'
import type { Protocol } from '../../../servers/transports/protocols.ts'
import { oneWayMs, type StepResult } from '../../../load/bench/report-schema.ts'
import type { RunEntry } from './results-loader.ts'
import { resolveCitation } from './figures.ts'
import { protocolsIn } from './chart-specs.ts'

const patternSchema = z.object({
  connection: z.string(),
  direction: z.string(),
  overhead: z.string(),
  latency_claim_ms: z.tuple([z.number(), z.number().nullable()]),
  latency_claim_text: z.string(),
})

/** The claims file, checked so a changed copy fails the build instead of showing wrong rows. */
export const seedClaims = z
  .object({
    source: z.string(),
    patterns: z.object({
      websocket: patternSchema,
      sse: patternSchema,
      'long-poll': patternSchema,
      'short-poll': patternSchema,
    }),
    websocket_performance_claims: z.object({
      connection_setup_ms: z.tuple([z.number(), z.number()]),
      message_latency_ms: z.tuple([z.number(), z.number()]),
      reconnect_time_s: z.number(),
      memory_per_connection_kb: z.number(),
      concurrent_connections: z.string(),
    }),
  })
  .parse(claimsJson)

/** One row of the comparison: a protocol's claims and the step its measured values come from. */
export interface ClaimRow {
  protocol: Protocol
  claim: z.infer<typeof patternSchema>
  step: StepResult | undefined
  /** The measured p95 the claim is read against: beyond the link's one-way delay on a link. */
  p95: number | undefined
  /** Whether that p95 falls inside the claimed latency range. */
  withinClaim: boolean | undefined
}

/**
 * The profile seed 004's latency claims are read against: 4G, Lighthouse's default mobile link.
 * The claims ("WebSocket <10 ms", "long polling 50–200 ms", "short polling 500 ms+") describe
 * clients across a real network, not a saturated loopback; what separates the protocols there
 * is what each adds over the link's own delay (long polling's extra round trip, short
 * polling's interval), so the table sets each claim against p95 latency beyond the one-way
 * delay on that link.
 */
export const CLAIMS_NETWORK = '4g'

/**
 * The rows at the step {@link resolveCitation} picks for every protocol of the run over
 * {@link CLAIMS_NETWORK} (loopback when the run measured no such link): the largest connection
 * count where each holds (valid, within budget, every client held, every frame delivered).
 * `problem` says why there is none; the rows then have no step.
 */
export function claimRows(run: RunEntry): {
  network: string
  connections: number | undefined
  rows: ClaimRow[]
  problem: string | undefined
} {
  const protocols = protocolsIn(run)
  const overLink = run.variantSteps.some((step) => step.network === CLAIMS_NETWORK)
  const network = overLink ? CLAIMS_NETWORK : 'loopback'
  const resolved = resolveCitation(
    run,
    { id: 'latency.p95', protocols, ...(overLink ? { network } : {}) },
    run.reportFile,
  )
  const cited = typeof resolved === 'string' ? undefined : resolved
  const rows = protocols.map((protocol): ClaimRow => {
    const claim = seedClaims.patterns[protocol]
    const step = cited?.steps.find((c) => c.protocol === protocol)?.step
    const [low, high] = claim.latency_claim_ms
    const p95 = step === undefined ? undefined : step.latencyMs.p95 - oneWayMs(step)
    return {
      protocol,
      claim,
      step,
      p95,
      withinClaim: p95 === undefined ? undefined : p95 >= low && (high === null || p95 <= high),
    }
  })
  return {
    network,
    connections: cited?.connections,
    rows,
    problem: typeof resolved === 'string' ? resolved : undefined,
  }
}

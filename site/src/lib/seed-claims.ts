/**
 * Seed 004's comparison table: claimed figures (copied from shared/seed-claims.json, see
 * data/README.md) paired with the values a run measured.
 */
import { z } from 'astro/zod'
import claimsJson from '../data/seed-claims.json'
import type { Protocol } from '../../../servers/transports/protocols.ts'
import type { StepResult } from '../../../load/bench/report-schema.ts'
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
  /** Whether the measured p95 falls inside the claimed latency range. */
  withinClaim: boolean | undefined
}

/**
 * The rows at the step {@link resolveCitation} picks for every protocol of the run: the largest
 * connection count where each holds (valid, within budget, every client held, every frame
 * delivered). `problem` says why there is none; the rows then have no step.
 */
export function claimRows(run: RunEntry): {
  connections: number | undefined
  rows: ClaimRow[]
  problem: string | undefined
} {
  const protocols = protocolsIn(run)
  const resolved = resolveCitation(run, { id: 'latency.p95', protocols }, run.reportFile)
  const cited = typeof resolved === 'string' ? undefined : resolved
  const rows = protocols.map((protocol): ClaimRow => {
    const claim = seedClaims.patterns[protocol]
    const step = cited?.steps.find((c) => c.protocol === protocol)?.step
    const [low, high] = claim.latency_claim_ms
    const p95 = step?.latencyMs.p95
    return {
      protocol,
      claim,
      step,
      withinClaim: p95 === undefined ? undefined : p95 >= low && (high === null || p95 <= high),
    }
  })
  return {
    connections: cited?.connections,
    rows,
    problem: typeof resolved === 'string' ? resolved : undefined,
  }
}

/**
 * What one bench step is asked to measure: the protocol, design and variant, the load, and
 * where its files go. Its own module so that running a step (step-runner.ts) and deriving its
 * figures (step-derive.ts) share it without importing each other.
 */
import type { Protocol } from '../../servers/transports/protocols.ts'

/** Which load generator runs the scenario. */
export type EngineKind = 'builtin' | 'k6'

/** Everything one step needs. */
export interface StepPlan {
  protocol: Protocol
  design: 'reference' | 'baseline'
  connections: number
  holdS: number
  rampS: number
  rateHz: number
  pollIntervalS: number
  /** p95 budget, ms, before {@link effectiveBudgetMs} adds the short-poll interval. */
  budgetMs: number
  engine: EngineKind
  /** The k6 binary when `engine` is `k6` (default: `k6` from PATH). */
  k6Path?: string
  /** Repository root (scripts and servers are resolved from it). */
  root: string
  /** The run folder; the step writes under `<design>/<protocol>/<connections>/`. */
  runDir: string
  /** Write a V8 CPU profile of the server into the step folder (`node --cpu-prof`). */
  cpuProfile?: boolean
  /** `single` (default) or `cluster-N`. */
  topology?: string
  /** The server's `--encoding`; undefined leaves the server's default and records none. */
  encoding?: string | undefined
  /** Engine processes that split the VUs by execution segment (default 1). */
  loadProcesses?: number
  /** A link profile (`load/network`) between the load and the server; default `loopback`. */
  network?: string | undefined
}

/**
 * The schema of `results/<run-id>/report.json`: the comparison that the terminal table,
 * `--compare` and the site read. Documented field by field in `results/README.md`.
 *
 * Every figure in it was measured by `npm run bench`; nothing here is typed by hand.
 */
import { z } from 'zod'
import { PROTOCOLS } from '../../servers/transports/protocols.ts'

/** Bumped when a field changes meaning or is removed. */
export const REPORT_SCHEMA_VERSION = 1

const protocol = z.enum(PROTOCOLS)

/** Latency or time distribution in milliseconds, percentiles computed as k6 does. */
const distribution = z.object({
  avg: z.number(),
  min: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
})

/** CPU and memory of one process over a step's measured window. */
const processSample = z.object({
  /** Mean CPU over the window, percent of one core (200 = both cores of a 2-core machine). */
  cpuPercent: z.number(),
  /** Peak CPU in any one-second sample, percent of one core. */
  cpuPeakPercent: z.number(),
  /** User-mode part of `cpuPercent` (utime); absent in reports written before it was recorded. */
  cpuUserPercent: z.number().optional(),
  /** Kernel-mode part of `cpuPercent` (stime): socket writes land here, whatever the design. */
  cpuSystemPercent: z.number().optional(),
  /** Resident set size at the end of the window, MiB. */
  rssMiB: z.number(),
  /** Peak resident set size, MiB. */
  rssPeakMiB: z.number(),
})

/** A load tool: k6, or the built-in engine (`load/engine`). */
const engineKind = z.enum(['builtin', 'k6'])

/**
 * What served the clients: `single` (one server process, the default) or `cluster-N` (Redis,
 * one ticker, N fan-out instances, nginx in front). Absent means `single`.
 */
const topology = z.string().regex(/^(single|cluster-[1-9]\d*)$/)

/** The feed's wire encoding (the server's `--encoding`); absent means the default, `json`. */
const encoding = z.string().min(1)

/**
 * The variant dimensions of a step or ladder. A step with none of the fields (or `single`,
 * `json` and `loopback`) is the default variant: the one the site's figures and charts use.
 */
const variant = {
  topology: topology.optional(),
  encoding: encoding.optional(),
  /** The link profile between the load and the server (`load/network`); absent means `loopback`. */
  network: z.string().min(1).optional(),
}

/** One rung of the ladder: one protocol, one design, one variant, one connection count. */
export const stepSchema = z.object({
  protocol,
  /** `reference` is this project's server; `baseline` the seeds' per-connection-timer design. */
  design: z.enum(['reference', 'baseline']),
  ...variant,
  /**
   * Load-generator processes that split the step's VUs by execution segment, their results
   * merged (counts summed, percentiles from every raw sample); absent means 1.
   */
  loadProcesses: z.number().int().positive().optional(),
  /** The load tool that measured the step; absent in reports that predate it: `parameters.engine`. */
  engine: engineKind.optional(),
  /** Target concurrent connections (VUs). */
  connections: z.number().int().positive(),
  /** Peak connections the server reported open during the window. */
  connected: z.number().int().nonnegative(),
  /** Length of the measured (steady) window, seconds. */
  holdS: z.number().positive(),
  /** Delivery latency: client receive time − frame `t`, steady window only. */
  latencyMs: distribution,
  /** Time to open a connection (or the first poll reply). */
  connectMs: distribution,
  /**
   * Upstream round trip (`feed_ping`): a client's ping to its pong, over the socket for
   * WebSocket and a `POST /api/ping` for the others, from a sample of clients in the window;
   * null when the scenario sent none, absent in runs before it was measured.
   */
  pingMs: distribution.nullable().optional(),
  /**
   * Time to recover after a dropped connection (`feed_recovery`): from a planned drop to the
   * first frame the resumed connection delivers, from the sample of clients that drop once
   * in the window (load/lib/feed-drop.ts); null when none dropped, absent in runs before it
   * was measured.
   */
  recoveryMs: distribution.nullable().optional(),
  /**
   * Frames due to the clients while they were connected in the window: those received plus
   * those found missing (seq jumps) in it, so delivery (`framesReceived / framesExpected`) is at
   * most 100 % and frames lost are `framesExpected − framesReceived`. Runs written before
   * `framesScheduled` existed held the schedule here (connections × rate × window).
   */
  framesExpected: z.number().int().nonnegative(),
  framesReceived: z.number().int().nonnegative(),
  /**
   * Frames the schedule promises: connections × rate × window seconds, as if every client were
   * connected throughout. Fewer arriving (beyond the edge allowance) is under-delivery.
   */
  framesScheduled: z.number().int().nonnegative().optional(),
  /** Frames a client found missing (seq jumps not covered by a reset). */
  gaps: z.number().int().nonnegative(),
  resets: z.number().int().nonnegative(),
  /** Bytes on the wire per delivered frame, headers and framing included; null when not measured. */
  bytesPerFrame: z.number().nullable(),
  server: processSample.extend({
    /** (RSS at the end − RSS before any client connected) / connected, KiB. */
    rssPerConnectionKiB: z.number().nullable(),
  }),
  /**
   * Cluster steps: the parts of `server` (which sums every process of the cluster) that nginx
   * and redis-server used; the rest is the ticker and the fan-out instances.
   */
  serverParts: z
    .object({
      nginx: processSample,
      redis: processSample,
    })
    .optional(),
  generator: processSample.extend({
    /** p99 event-loop delay of the load generator, ms; null for a stock k6 run. */
    eventLoopDelayP99Ms: z.number().nullable(),
  }),
  /**
   * The link between the load and the server (`load/network`); absent on loopback. `relay` is
   * the link emulator over the window (its CPU, chunks relayed, share written over 2 ms late,
   * mean and worst lateness, ms): a step it limits is invalid. `loss`: the namespace's counters over the whole step.
   */
  link: z
    .object({
      network: z.string(),
      rttMs: z.number(),
      relay: processSample
        .extend({
          chunksPerS: z.number(),
          latePercent: z.number(),
          meanLateMs: z.number(),
          maxLateMs: z.number(),
        })
        .nullable(),
      loss: z
        .object({
          percent: z.number(),
          packets: z.number().int(),
          dropped: z.number().int(),
          retransmitted: z.number().int(),
        })
        .optional(),
    })
    .optional(),
  /** False when the load generator or the link emulator, not the server, was the limit. */
  valid: z.boolean(),
  invalidReason: z.string().nullable(),
  /** p95 within the budget and no frames lost. */
  withinBudget: z.boolean(),
  /** Paths relative to the run folder. */
  files: z.object({
    summary: z.string(),
    series: z.string(),
  }),
})

/** How far one protocol's ladder went. */
export const ladderSchema = z.object({
  protocol,
  design: z.enum(['reference', 'baseline']),
  ...variant,
  /** The load tool the ladder ran on (`--engine auto` picks one per scenario). */
  engine: engineKind.optional(),
  /**
   * Set when the load tool itself failed (could not start, exited with an error): the ladder
   * then says nothing about the protocol, and `maxConnectionsWithinBudget` is no verdict.
   */
  loadToolFailure: z.string().optional(),
  /**
   * Most connections of a step that holds (valid, every client held, every frame delivered,
   * p95 within budget) with every lower step holding too; 0 when the first step failed. Runs
   * written before `firstFailed` counted valid steps only, skipping invalid ones.
   */
  maxConnectionsWithinBudget: z.number().int().nonnegative(),
  /** The first step that did not hold and why (`ladderVerdict`); null when every step held. */
  firstFailed: z
    .object({ connections: z.number().int().positive(), reason: z.string() })
    .nullable()
    .optional(),
  /**
   * Where the climb stopped, null when it ran every step: a valid step over budget, losing
   * frames (reference design) or under-delivering; an invalid step does not stop it.
   */
  stoppedAt: z.number().int().positive().nullable(),
  stopReason: z.string().nullable(),
})

/** The whole `report.json`. */
export const reportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  runId: z.string(),
  /** ISO 8601. */
  createdAt: z.string(),
  /** Human label for the machine, e.g. "2 cores, AMD EPYC 7B13, 24 GiB". */
  machineLabel: z.string(),
  /** `quick`, `full` or `custom`. */
  profile: z.enum(['quick', 'full', 'custom']),
  parameters: z.object({
    steps: z.array(z.number().int().positive()),
    holdS: z.number().positive(),
    /** The ramp, s; with `rampFollowsStep`, the longest: a step ramps 1 s per 1,000 connections, 2 s at least. */
    rampS: z.number().nonnegative(),
    /** Whether each step's ramp followed its connections (no `--ramp` given); absent: every step ramped `rampS`. */
    rampFollowsStep: z.boolean().optional(),
    /** Whether ladders climbed past invalid steps (`--full`); absent or false: the climb stopped at one. */
    climbedPastInvalid: z.boolean().optional(),
    rateHz: z.number().positive(),
    budgetMs: z.number().positive(),
    pollIntervalS: z.number().positive(),
    /** `builtin`, `k6`, or `k6+builtin` when `--engine auto` chose per scenario (see each ladder). */
    engine: z.string(),
    /** Load-generator processes per step (`--load-processes`); absent means 1. */
    loadProcesses: z.number().int().positive().optional(),
    /** Topologies every reference ladder ran on (`--cluster N` adds `cluster-N`). */
    topologies: z.array(topology).optional(),
    /** Encodings every reference ladder ran with (`--encodings`). */
    encodings: z.array(encoding).optional(),
    /** Link profiles the reference ladders ran over besides loopback (`--network`). */
    networks: z.array(z.string().min(1)).optional(),
  }),
  steps: z.array(stepSchema),
  ladders: z.array(ladderSchema),
})

export type StepResult = z.infer<typeof stepSchema>
export type LadderResult = z.infer<typeof ladderSchema>
export type Report = z.infer<typeof reportSchema>

/** The variant fields of a step or ladder. */
export interface Variant {
  topology?: string | undefined
  encoding?: string | undefined
  network?: string | undefined
}

/** The link a step or ladder ran over: its profile name, `loopback` for none. */
export function networkOf(item: Variant): string {
  return item.network ?? 'loopback'
}

/** The one-way delay of the link a step ran over, ms: 0 on loopback. */
export function oneWayMs(step: StepResult): number {
  return step.link === undefined ? 0 : step.link.rttMs / 2
}

/** True for the default variant: one server process, JSON frames, loopback (what the site cites). */
export function isDefaultVariant(item: Variant): boolean {
  return (
    (item.topology ?? 'single') === 'single' &&
    (item.encoding ?? 'json') === 'json' &&
    (item.network ?? 'loopback') === 'loopback'
  )
}

/** `single`, `cluster-2`, `single/binary`…: the variant as the table and `--compare` show it. */
export function variantLabel(item: Variant): string {
  const topologyName = item.topology ?? 'single'
  const label = item.encoding === undefined ? topologyName : `${topologyName}/${item.encoding}`
  return (item.network ?? 'loopback') === 'loopback' ? label : `${label} over ${item.network ?? ''}`
}

/** True when two steps or ladders are the same variant. */
export function sameVariant(a: Variant, b: Variant): boolean {
  return (
    (a.topology ?? 'single') === (b.topology ?? 'single') &&
    (a.encoding ?? 'json') === (b.encoding ?? 'json') &&
    (a.network ?? 'loopback') === (b.network ?? 'loopback')
  )
}

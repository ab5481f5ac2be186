/**
 * Defaults of `npm run bench`, in one frozen object; the README's option table states the same values.
 */
import { PROTOCOLS } from '../../servers/transports/protocols.ts'
import { CHILD_TIMEOUTS } from '../kit/child-process.ts'

/** The full ladder and its timings. */
export const BENCH_DEFAULTS = Object.freeze({
  /** Connection counts of the ladder, in order. */
  steps: Object.freeze<number[]>([100, 1000, 2500, 5000, 10000]),
  protocols: PROTOCOLS,
  /** Measured steady window per step, seconds (with the ramps below, the loopback ladders fit 10 minutes). */
  holdS: 20,
  /**
   * Ramp from 0 to the step's connections, seconds: the most a step ramps. Unless `--ramp` is
   * given, a step ramps one second per {@link BENCH_DEFAULTS.rampConnectionsPerS} connections,
   * at least {@link BENCH_DEFAULTS.minRampS} s (100 and 1,000 connections: 2 s; 10,000: 10 s).
   */
  rampS: 10,
  /** Connections opened per second of ramp when the ramp follows the step. */
  rampConnectionsPerS: 1000,
  /** The shortest ramp when it follows the step, seconds. */
  minRampS: 2,
  /** What a step takes besides its ramp and hold (server start, settle, drain), seconds: for the estimate. */
  stepOverheadS: 4,
  /** Feed frames per second. */
  rateHz: 10,
  /** Short-poll interval, seconds. */
  pollIntervalS: 1,
  /** p95 latency budget, ms. */
  budgetMs: 250,
  /** `auto` uses k6 when it is on PATH, else the built-in engine. */
  engine: 'auto',
  /**
   * Links every reference ladder also runs over (`load/network` profiles): what users live
   * with, beside loopback. A loss profile is skipped where no network namespace can be made.
   */
  networks: Object.freeze<string[]>(['4g', '3g', '4g-lossy']),
  /** Connection counts of a ladder over a link: enough to see the link, in a few minutes. */
  networkSteps: Object.freeze<number[]>([100, 1000]),
  /**
   * Measured window per step over a link, seconds: 7,000 frames at 100 clients, and the
   * default run (loopback ladders included) within 15 minutes at most.
   */
  networkHoldS: 7,
})

/** `--quick`: all four protocols, two small steps, a few seconds each (CI). */
export const QUICK_PROFILE = Object.freeze({
  steps: Object.freeze<number[]>([20, 50]),
  holdS: 5,
  rampS: 1,
})

/**
 * When a step counts as limited by the load generator rather than the server.
 * A generator that uses most of the machine's cores, or whose event loop runs late,
 * reports latency that it added itself.
 */
export const SATURATION = Object.freeze({
  /** Mean generator CPU as a share of all cores (0.85 = 170 % on 2 cores). */
  cpuShareOfCores: 0.85,
  /** p99 event-loop delay of the generator, ms. */
  eventLoopDelayP99Ms: 100,
})

/**
 * A step under-delivers when fewer than this share of the expected frames arrived in the
 * window, beyond the edge allowance of `underDelivered` (ladder.ts). A missing `seq` is
 * counted as a gap whatever this ratio: delivery catches clients that never connected or
 * dropped out.
 */
export const MIN_DELIVERY_RATIO = 0.95

/** Seconds of every client's frames that may fall outside the measured window (see `underDelivered`). */
export const EDGE_ALLOWANCE_S = 2

/** Time limits that keep every wait bounded. */
export const TIMEOUTS = Object.freeze({
  /** Waiting for a server after spawn, and between SIGTERM and SIGKILL: the kit's, ms. */
  ...CHILD_TIMEOUTS,
  /** Added to ramp + hold before a hung engine is killed, ms. */
  engineGraceMs: 45_000,
})

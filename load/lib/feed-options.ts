/**
 * The load shape shared by the four scenarios: parameters from `__ENV`, ramping-vus
 * options, thresholds, and each VU's connection plan (when the steady window starts and
 * when to let go).
 */
import exec from 'k6/execution'
import type { Options } from 'k6/options'
import { setTimeout } from 'k6/timers'
import { parseDuration } from './duration.ts'

export { parseDuration }

/** Defaults for every `__ENV` parameter, as documented in load/README.md. */
export const FEED_DEFAULTS = Object.freeze({
  BASE_URL: 'http://127.0.0.1:8080',
  VUS: '50',
  RAMP: '10s',
  HOLD: '30s',
  POLL_INTERVAL: '1s',
  /** Latency budget for p(95), ms; short polling adds its interval. */
  LATENCY_P95: '250',
})

/** Reads `__ENV[name]` or its default. */
export function env(name: keyof typeof FEED_DEFAULTS): string {
  const value = __ENV[name]
  return value === undefined || value === '' ? FEED_DEFAULTS[name] : value
}

/** `BASE_URL` without a trailing slash. */
export const baseUrl = env('BASE_URL').replace(/\/+$/, '')

/** Ramp-up and hold, ms. */
export const rampMs = parseDuration(env('RAMP'))
/** Steady window length, ms. */
export const holdMs = parseDuration(env('HOLD'))
/** Short-poll interval, ms. */
export const pollIntervalMs = parseDuration(env('POLL_INTERVAL'))

/**
 * k6 options for one scenario: ramp to `VUS` over `RAMP`, hold for `HOLD`; p(95) latency
 * under `LATENCY_P95` (+ `extraLatencyMs`) and no lost frame. `extraScenarios` run beside it
 * (the `pings` scenario of feed-ping.ts).
 */
export function feedOptions(
  protocol: string,
  extraLatencyMs = 0,
  extraScenarios: Options['scenarios'] = {},
): Options {
  const vus = Number(env('VUS'))
  if (!Number.isInteger(vus) || vus < 1) {
    throw new Error(`VUS must be a positive integer, got "${env('VUS')}"`)
  }
  const budget = Number(env('LATENCY_P95')) + extraLatencyMs
  return {
    scenarios: {
      // @types/k6 declares scenarios as class instances; k6 itself reads plain objects.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
      [protocol]: {
        executor: 'ramping-vus',
        startVUs: 0,
        stages: [
          { duration: env('RAMP'), target: vus },
          { duration: env('HOLD'), target: vus },
        ],
        gracefulRampDown: '5s',
        gracefulStop: '5s',
      },
      ...extraScenarios,
    },
    thresholds: {
      feed_latency: [`p(95)<${budget}`],
      feed_gaps: ['count==0'],
    },
  }
}

/** When this VU's connection counts latency and when it closes, unix ms. */
export interface ConnectionPlan {
  steadyFrom: number
  until: number
}

/** The plan for the current VU, from the scenario's start time. */
export function connectionPlan(): ConnectionPlan {
  const start = exec.scenario.startTime
  return { steadyFrom: start + rampMs, until: start + rampMs + holdMs }
}

/** Resolves after `ms` milliseconds (at once when `ms` ≤ 0). */
export function wait(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, Math.max(0, ms))
  })
}

/**
 * Reconnect delays: exponential, capped, with "equal jitter" (half fixed, half random) so that a
 * crowd of clients dropped at the same moment does not come back in lockstep.
 */

/** Backoff parameters; the defaults are stated here and nowhere else. */
export interface BackoffOptions {
  /** First delay before jitter, ms. Default 250. */
  baseMs: number
  /** Largest delay before jitter, ms. Default 10 000. */
  capMs: number
}

/** Default backoff: 250 ms doubling to a 10 s cap. */
export const BACKOFF_DEFAULTS: Readonly<BackoffOptions> = Object.freeze({
  baseMs: 250,
  capMs: 10_000,
})

/**
 * Delay before reconnect attempt `attempt` (0 for the first).
 * @param random a number in [0, 1); injectable for tests
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = BACKOFF_DEFAULTS,
  random: number = Math.random(),
): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** Math.min(attempt, 30))
  return ceiling / 2 + (random * ceiling) / 2
}

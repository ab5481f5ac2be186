/**
 * k6 duration strings for options and flags: the parser is the one the k6 scripts use
 * (load/lib/duration.ts); the summary's formatting is here.
 */

import { parseDuration } from '../lib/duration.ts'

/**
 * Parses a k6 duration; a bare number is seconds, as k6 reads it.
 *
 * @throws Error naming the bad value when it is not a duration.
 */
export const durationMs: (text: string | number) => number = parseDuration

/** Formats ms as k6 prints durations in the summary (`1m2.3s`, `450ms`). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${trim(ms)}ms`
  const minutes = Math.floor(ms / 60_000)
  const seconds = (ms - minutes * 60_000) / 1000
  return minutes > 0 ? `${minutes}m${trim(seconds)}s` : `${trim(seconds)}s`
}

function trim(value: number): string {
  return String(Number(value.toFixed(1)))
}

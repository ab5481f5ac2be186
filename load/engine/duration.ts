/**
 * k6 duration strings (`500ms`, `10s`, `1m30s`, `2h`) to milliseconds, for options and
 * flags. (The k6 scripts carry their own copy in load/lib: they cannot import Node code.)
 */

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
})

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y

/**
 * Parses a k6 duration; a bare number is seconds, as k6 reads it.
 *
 * @throws Error naming the bad value when it is not a duration.
 */
export function durationMs(text: string | number): number {
  if (typeof text === 'number') return text * 1000
  const trimmed = text.trim()
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000
  let total = 0
  let position = 0
  while (position < trimmed.length) {
    PART.lastIndex = position
    const match = PART.exec(trimmed)
    if (match === null) break
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0)
    position = PART.lastIndex
  }
  if (trimmed.length === 0 || position !== trimmed.length) {
    throw new Error(`"${text}" is not a k6 duration: write e.g. "500ms", "10s", "1m30s" or "2h"`)
  }
  return total
}

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

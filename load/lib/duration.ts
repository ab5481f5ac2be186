/**
 * k6 duration strings (`500ms`, `10s`, `1m30s`, `2h`, `1d12h`) to milliseconds: the one
 * duration parser of the project (scenarios, engine, bench). Pure code with no
 * k6 or Node imports, so the k6 scripts (load/lib) and the engine (load/engine) share it.
 */

// Go's time.ParseDuration units, plus `d` (days), as k6's ParseExtendedDuration reads them.
const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
})

const PART = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h|d)/y

/**
 * Parses a k6 duration string (`500ms`, `10s`, `1m30s`, `2h`) to ms: a bare number is seconds
 * (as k6 reads `-e HOLD=5`), otherwise one or more `<number><unit>` parts with Go's units
 * `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`, and k6's `d`.
 *
 * @throws Error naming the bad value when the string is not a duration.
 */
export function parseDuration(text: string | number): number {
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
    throw new Error(`"${trimmed}" is not a k6 duration: write e.g. "500ms", "10s", "1m30s" or "2h"`)
  }
  return total
}

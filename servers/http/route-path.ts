/**
 * The path of a request as express routes it, in one canonical form for lookups: the
 * access guard and the plain routes classify requests by it, so a path express would serve
 * from a guarded route is always guarded. Express matches routes case-insensitively and
 * with one optional trailing slash; both are folded here.
 */
import { parseTarget } from './request-target.ts'

// A path that needs no normalization: no dot segments, percent-escapes or other characters
// URL parsing would rewrite.
const PLAIN_PATH = /^\/[A-Za-z0-9_\-/.~]*$/
// Express (parseurl) hands a target holding any of these to the legacy URL parser.
const SPECIAL_IN_TARGET = /[#\s\u00a0\ufeff]/

/** A pathname in canonical route form: lower case, without one trailing slash. */
export function fold(path: string): string {
  const lower = path.toLowerCase()
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower
}

/**
 * The canonical route path of a request-target (`req.url`): lower case, without the query
 * and without one trailing slash (`/POLL/Short/?x=1` → `/poll/short`). Targets that are not
 * plain (absolute-form, dot segments, escapes, fragments) are normalized by WHATWG URL
 * parsing first, so the result is never less than what express would match. Null when the
 * target cannot be parsed at all ({@link parseTarget} says why); never throws.
 */
export function routePath(target: string): string | null {
  const parsed = parseTarget(target)
  return parsed.ok ? fold(parsed.value.pathname) : null
}

/** A plain request-target split as express would split it. */
export interface PlainTarget {
  /** {@link routePath} of the target. */
  path: string
  /** The raw query string after `?` (empty when there is none). */
  query: string
}

/**
 * Split a plain origin-form target (`/poll/long?epoch=…`) into its canonical path and raw
 * query; null when express would parse it differently (fragments, whitespace, dot segments,
 * escapes in the path, absolute-form): such targets are left to express.
 */
export function plainTarget(target: string): PlainTarget | null {
  if (SPECIAL_IN_TARGET.test(target)) return null
  const at = target.indexOf('?')
  const path = at === -1 ? target : target.slice(0, at)
  if (!PLAIN_PATH.test(path) || path.includes('/.')) return null
  return { path: fold(path), query: at === -1 ? '' : target.slice(at + 1) }
}

/**
 * The request-target of an HTTP request (RFC 9112 §3.2), parsed without ever throwing: a
 * peer controls every byte of it, so a target that cannot be read is a `bad-target` fault,
 * never an exception. Every listener that needs a path or a query reads it through here.
 */
import { fault, type Fault } from './errors.ts'
import type { Parsed } from './query.ts'

/** A request-target split into its parts. */
export interface RequestTarget {
  /** The path as WHATWG URL parsing normalizes it (dot segments resolved, case kept). */
  readonly pathname: string
  /** The raw query after `?`, without it (empty when there is none). */
  readonly query: string
}

// Origin-form is resolved under a fixed authority: `new URL(target, base)` would read a
// target starting with `//` as scheme-relative (`//[` → an invalid host, and a throw).
const FIXED_ORIGIN = 'http://target.invalid'
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//
// Origin-form targets this plain need no URL parsing at all (the hot path of every poll).
const PLAIN_ORIGIN_FORM = /^\/[A-Za-z0-9_\-/.~]*(\?[^#\s]*)?$/
// A peer may send a target of up to Node's header limit; faults quote only this much of it.
const QUOTED_CHARS = 60

const quote = (target: string): string => JSON.stringify(target.slice(0, QUOTED_CHARS))

/**
 * Parse a request-target in any form a peer may send: origin-form (`/sse?x=1`, also
 * `//host`-looking paths), absolute-form (`http://host/sse`), authority-form
 * (`host:443`, refused), asterisk-form (`*`, refused). Never throws.
 */
export function parseTarget(target: string | undefined): Parsed<RequestTarget> {
  if (target === undefined || target === '') {
    return { ok: false, fault: fault('bad-target', 'bad request-target: it is empty') }
  }
  if (PLAIN_ORIGIN_FORM.test(target) && !target.includes('/.')) {
    const at = target.indexOf('?')
    return {
      ok: true,
      value:
        at === -1
          ? { pathname: target, query: '' }
          : { pathname: target.slice(0, at), query: target.slice(at + 1) },
    }
  }
  if (target === '*') {
    return {
      ok: false,
      fault: fault(
        'bad-target',
        'bad request-target: asterisk-form (*) is not served; send a path',
      ),
    }
  }
  const origin = target.startsWith('/')
  if (!origin && !ABSOLUTE_FORM.test(target)) {
    return {
      ok: false,
      fault: fault(
        'bad-target',
        `bad request-target: ${quote(target)} is neither a path nor an http(s) URL`,
      ),
    }
  }
  const url = URL.parse(origin ? FIXED_ORIGIN + target : target)
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    return {
      ok: false,
      fault: fault('bad-target', `bad request-target: ${quote(target)} is not a valid http(s) URL`),
    }
  }
  return { ok: true, value: { pathname: url.pathname, query: rawQuery(target) } }
}

// A Host is `host[:port]`: no whitespace, path, query, fragment or userinfo.
const HOST_SHAPE = /^[^\s/?#@\\]+$/

/**
 * The fault of a `Host` header that is not `host[:port]` (`[`, `a b`, `x/y`, `:99999`); null
 * when it is one or when there is none (HTTP/1.0; Node refuses an HTTP/1.1 request without
 * it). Libraries build URLs from it (better-sse does, and throws on a bad one). Never throws.
 */
export function hostFault(host: string | undefined): Fault | null {
  if (host === undefined) return null
  if (HOST_SHAPE.test(host) && URL.parse(`http://${host}/`) !== null) return null
  return fault('bad-request', `bad Host header: ${quote(host)} is not host[:port]`)
}

/** The query of a target as the peer sent it: after the first `?`, before any `#`. */
function rawQuery(target: string): string {
  const at = target.indexOf('?')
  if (at === -1) return ''
  const hash = target.indexOf('#', at)
  return target.slice(at + 1, hash === -1 ? undefined : hash)
}

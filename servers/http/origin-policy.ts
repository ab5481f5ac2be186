/**
 * Origin allowlist against Cross-Site WebSocket Hijacking and cross-site reads of the
 * streams: a browser always sends `Origin` on a WebSocket handshake and on cross-origin
 * fetches, so an exact match on the serialized origin decides whether a page may connect.
 */

/** The verdict on one request's `Origin`. */
export type OriginVerdict = { ok: true } | { ok: false; detail: string }

/**
 * Decides whether a request's `Origin` is allowed.
 *
 * Matching is exact on the serialized origin (`scheme://host[:port]`): no suffix or prefix
 * matching, no wildcards, so `https://lab.example.evil.com` does not pass for
 * `https://lab.example`, nor does another port. The opaque origin `null` (sandboxed frames,
 * `file:` pages, some redirects) is never allowed. A request without `Origin` comes from a
 * non-browser client, which could forge any header anyway; it passes unless `requireOrigin`.
 */
export class OriginPolicy {
  readonly #allowed: ReadonlySet<string>
  readonly #requireOrigin: boolean

  /**
   * @param allowed origins as URLs (`https://lab.example`, `http://127.0.0.1:8080`); an empty
   * list allows every origin (the default, for local study).
   * @param requireOrigin refuse requests that carry no `Origin` (default false).
   */
  constructor(allowed: readonly string[], requireOrigin = false) {
    this.#allowed = new Set(allowed.map(normalizeAllowed))
    this.#requireOrigin = requireOrigin
  }

  /** True when no allowlist is configured. */
  get open(): boolean {
    return this.#allowed.size === 0
  }

  /** Checks one `Origin` header value. */
  check(origin: string | undefined): OriginVerdict {
    if (origin === undefined) {
      return this.#requireOrigin
        ? { ok: false, detail: 'the request carries no Origin header' }
        : { ok: true }
    }
    if (this.open) return { ok: true }
    if (origin === 'null') return { ok: false, detail: 'the opaque origin "null" is never allowed' }
    if (this.#allowed.has(origin)) return { ok: true }
    return { ok: false, detail: `origin ${origin} is not in the allowlist` }
  }
}

/** Turns an allowlist entry into its serialized origin; throws on an entry that is not one. */
function normalizeAllowed(entry: string): string {
  let url: URL
  try {
    url = new URL(entry)
  } catch {
    throw new Error(`--allow-origin ${entry}: not a URL; write it as https://host[:port]`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`--allow-origin ${entry}: only http and https origins can be allowed`)
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new Error(`--allow-origin ${entry}: an origin has no path, query or fragment`)
  }
  return url.origin
}

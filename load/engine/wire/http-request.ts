/**
 * The request side of the lean HTTP/1.1 client, with no I/O: where a URL points (parsed
 * without `new URL` on the hot path) and the request as one string, written with one
 * socket write.
 */

/** Where a request goes. */
export interface HttpTarget {
  /** `http:` or `https:`. */
  protocol: 'http:' | 'https:'
  /** `host:port` as the connection pool's key. */
  authority: string
  /** Host to dial (brackets of an IPv6 literal removed). */
  hostname: string
  port: number
  /** The `Host` header value. */
  hostHeader: string
  /** Path and query, e.g. `/poll/long?wait=25` (never empty; no fragment). */
  path: string
}

interface Origin {
  protocol: 'http:' | 'https:'
  authority: string
  hostname: string
  port: number
  hostHeader: string
}

// Origins parsed once each; bounded so a script visiting endless hosts cannot grow it.
const origins = new Map<string, Origin>()
const ORIGIN_CACHE_LIMIT = 256
// What a request target may hold as it is written on the wire: visible ASCII only.
const UNSAFE_PATH = /[^\x21-\x7e]/

function originOf(scheme: 'http:' | 'https:', authority: string): Origin | undefined {
  const key = `${scheme}//${authority}`
  const known = origins.get(key)
  if (known !== undefined) return known
  let parsed: URL
  try {
    parsed = new URL(`${key}/`)
  } catch {
    return undefined
  }
  if (parsed.hostname === '' || parsed.username !== '' || parsed.password !== '') return undefined
  const port = parsed.port === '' ? (scheme === 'https:' ? 443 : 80) : Number(parsed.port)
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1')
  const origin: Origin = {
    protocol: scheme,
    authority: `${parsed.hostname}:${port}`,
    hostname,
    port,
    hostHeader: parsed.host,
  }
  if (origins.size < ORIGIN_CACHE_LIMIT) origins.set(key, origin)
  return origin
}

/**
 * Splits an absolute http(s) URL into where to connect and what to ask for. The common case
 * (a known origin, a path of visible ASCII) costs a few `indexOf`s; anything else goes
 * through `new URL` so it is encoded as a browser would.
 *
 * @returns undefined when the URL is not an absolute http or https URL.
 */
export function parseHttpTarget(url: string): HttpTarget | undefined {
  let scheme: 'http:' | 'https:'
  let from: number
  if (url.startsWith('http://')) {
    scheme = 'http:'
    from = 7
  } else if (url.startsWith('https://')) {
    scheme = 'https:'
    from = 8
  } else {
    return normalizedTarget(url)
  }
  let authorityEnd = url.length
  for (let i = from; i < url.length; i++) {
    const code = url.charCodeAt(i)
    // '/', '?', '#'
    if (code === 0x2f || code === 0x3f || code === 0x23) {
      authorityEnd = i
      break
    }
  }
  const origin = originOf(scheme, url.slice(from, authorityEnd))
  if (origin === undefined) return undefined
  let path = url.slice(authorityEnd)
  const hash = path.indexOf('#')
  if (hash !== -1) path = path.slice(0, hash)
  if (path === '' || path.charCodeAt(0) === 0x3f) path = `/${path}`
  if (UNSAFE_PATH.test(path)) return normalizedTarget(url)
  return { ...origin, path }
}

function normalizedTarget(url: string): HttpTarget | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return undefined
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined
  const origin = originOf(parsed.protocol, parsed.host)
  if (origin === undefined) return undefined
  return { ...origin, path: `${parsed.pathname}${parsed.search}` }
}

/** Header names this client writes itself unless the caller gives them. */
const HOST = 'host'
const CONTENT_LENGTH = 'content-length'
// Methods whose request carries a body by definition: an empty one is sent as length 0.
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH'])
// CR or LF in a header would split the request: refused as the programmer's mistake.
const LINE_BREAK = /[\r\n]/

/**
 * The whole request as one string (head and body).
 *
 * @throws TypeError when a header name or value holds CR or LF (it would split the request).
 */
export function buildRequest(
  method: string,
  target: HttpTarget,
  headers: Readonly<Record<string, string>> | undefined,
  body: string | undefined,
): string {
  let head = `${method} ${target.path} HTTP/1.1\r\n`
  let hasHost = false
  let hasLength = false
  let lines = ''
  if (headers !== undefined) {
    for (const name in headers) {
      const value = headers[name]
      if (value === undefined) continue
      const text = value
      if (LINE_BREAK.test(name) || LINE_BREAK.test(text)) {
        throw new TypeError(
          `header "${name.slice(0, 40)}" holds a line break: header names and values must be one line`,
        )
      }
      const lower = name.toLowerCase()
      if (lower === HOST) hasHost = true
      else if (lower === CONTENT_LENGTH) hasLength = true
      lines += `${name}: ${text}\r\n`
    }
  }
  if (!hasHost) head += `Host: ${target.hostHeader}\r\n`
  head += lines
  if (!hasLength && (body !== undefined || BODY_METHODS.has(method))) {
    head += `Content-Length: ${body === undefined ? 0 : Buffer.byteLength(body)}\r\n`
  }
  return body === undefined ? `${head}\r\n` : `${head}\r\n${body}`
}

/** Methods a client may send twice (RFC 9110 §9.2.2): retried once on a dead keep-alive socket. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PUT',
  'DELETE',
])

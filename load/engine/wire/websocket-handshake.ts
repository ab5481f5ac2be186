/**
 * The client side of the WebSocket opening handshake (RFC 6455 §4.1), with no I/O: builds
 * the HTTP/1.1 upgrade request and checks the server's response (status 101, `Upgrade`,
 * `Connection`, `Sec-WebSocket-Accept`, the chosen subprotocol).
 */
import { createHash, randomBytes } from 'node:crypto'

/** The GUID RFC 6455 appends to the key before hashing it into `Sec-WebSocket-Accept`. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** Response head longer than this is refused (a real upgrade response is a few hundred bytes). */
export const MAX_HANDSHAKE_RESPONSE_BYTES = 16 * 1024

/** A fresh `Sec-WebSocket-Key`: 16 random bytes, base64. */
export function createHandshakeKey(): string {
  return randomBytes(16).toString('base64')
}

/** The `Sec-WebSocket-Accept` a server must answer to `key`. */
export function expectedAccept(key: string): string {
  return createHash('sha1')
    .update(key + ACCEPT_GUID)
    .digest('base64')
}

/** What goes into the upgrade request. */
export interface UpgradeRequest {
  /** `host[:port]` for the `Host` header. */
  host: string
  /** Path and query, e.g. `/ws?since=3`. */
  path: string
  key: string
  /** Subprotocols offered in `Sec-WebSocket-Protocol` (none when empty). */
  protocols: readonly string[]
  /** Extra request headers (e.g. `Authorization`, `Origin`). */
  headers?: Readonly<Record<string, string>> | undefined
}

/** Request headers the handshake itself sets; a caller's header of the same name is an error. */
const RESERVED_HEADERS = new Set([
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
])

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/**
 * The upgrade request's bytes (ASCII), ending with the blank line.
 *
 * @throws Error naming a subprotocol or header that is not a valid HTTP token/value, or a
 *   header the handshake sets itself.
 */
export function buildUpgradeRequest(request: UpgradeRequest): string {
  for (const protocol of request.protocols) {
    if (!TOKEN.test(protocol)) {
      throw new Error(`invalid WebSocket subprotocol "${protocol}": use an HTTP token`)
    }
  }
  let head =
    `GET ${request.path} HTTP/1.1\r\nHost: ${request.host}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: ${request.key}\r\nSec-WebSocket-Version: 13\r\n`
  if (request.protocols.length > 0) {
    head += `Sec-WebSocket-Protocol: ${request.protocols.join(', ')}\r\n`
  }
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (!TOKEN.test(name) || /[\r\n]/.test(value)) {
      throw new Error(`invalid request header "${name}": a token name and a one-line value`)
    }
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new Error(`header "${name}" is set by the WebSocket handshake itself; leave it out`)
    }
    head += `${name}: ${value}\r\n`
  }
  return `${head}\r\n`
}

/** The server's answer, judged. */
export type HandshakeVerdict =
  { ok: true; protocol: string } | { ok: false; status: number; message: string }

/**
 * Index just past the `\r\n\r\n` ending a response head in `bytes[0, length)`, or -1.
 * (Searches the whole accumulated head: the handshake is once per connection.)
 */
export function findHeadEnd(bytes: Buffer, length: number): number {
  const at = bytes.subarray(0, length).indexOf('\r\n\r\n', 0, 'latin1')
  return at < 0 ? -1 : at + 4
}

/**
 * Checks a complete response head (status line and headers, without the body) against the
 * request's key and offered subprotocols.
 */
export function checkUpgradeResponse(
  head: string,
  key: string,
  protocols: readonly string[],
): HandshakeVerdict {
  const lines = head.split('\r\n')
  const statusLine = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0] ?? '')
  if (statusLine === null) {
    return { ok: false, status: 0, message: 'the server did not answer with an HTTP/1.1 response' }
  }
  const status = Number(statusLine[1])
  if (status !== 101) {
    const reason = statusLine[2] ?? ''
    return {
      ok: false,
      status,
      message: `unexpected server response: ${status}${reason === '' ? '' : ` ${reason}`} (expected 101 Switching Protocols)`,
    }
  }
  const headers = new Map<string, string>()
  for (const line of lines.slice(1)) {
    if (line === '') continue
    const colon = line.indexOf(':')
    if (colon <= 0) return { ok: false, status, message: `malformed response header "${line}"` }
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    const earlier = headers.get(name)
    headers.set(name, earlier === undefined ? value : `${earlier}, ${value}`)
  }
  if (headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    return { ok: false, status, message: 'the 101 response lacks "Upgrade: websocket"' }
  }
  const connection = (headers.get('connection') ?? '').toLowerCase().split(/\s*,\s*/)
  if (!connection.includes('upgrade')) {
    return { ok: false, status, message: 'the 101 response lacks "Connection: Upgrade"' }
  }
  const accept = headers.get('sec-websocket-accept')
  if (accept === undefined) {
    return { ok: false, status, message: 'the 101 response lacks Sec-WebSocket-Accept' }
  }
  if (accept !== expectedAccept(key)) {
    return { ok: false, status, message: 'invalid Sec-WebSocket-Accept header' }
  }
  if (headers.has('sec-websocket-extensions')) {
    return {
      ok: false,
      status,
      message: 'the server chose an extension the client did not offer (Sec-WebSocket-Extensions)',
    }
  }
  const chosen = headers.get('sec-websocket-protocol')
  // No header: the server picked none, which RFC 6455 and browsers accept (protocol '').
  if (chosen === undefined) return { ok: true, protocol: '' }
  if (!protocols.includes(chosen)) {
    return {
      ok: false,
      status,
      message: `the server chose subprotocol "${chosen}", which the client did not offer`,
    }
  }
  return { ok: true, protocol: chosen }
}

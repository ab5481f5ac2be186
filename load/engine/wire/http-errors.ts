/**
 * k6's HTTP error codes (`Response.error_code` and the `error_code` tag) and messages
 * (`Response.error`), as k6 defines them in `lib/netext/httpext/error_codes.go`, and the
 * mapping from Node's socket errors to them. No I/O here.
 */

/** The k6 error codes this client produces. */
export const K6_ERROR_CODES = Object.freeze({
  /** Anything not listed below (e.g. a malformed response, an unexpected EOF). */
  generic: 1000,
  /** The URL cannot be used. */
  invalidUrl: 1020,
  /** The request's `timeout` passed. */
  requestTimeout: 1050,
  /** A DNS error other than "no such host". */
  dns: 1100,
  /** The host name does not resolve. */
  dnsNoSuchHost: 1101,
  /** A TCP error other than those below. */
  tcp: 1200,
  /** Writing to a connection the peer had closed. */
  tcpBrokenPipe: 1201,
  /** A TCP error while dialing. */
  tcpDial: 1210,
  /** Dialing timed out at the TCP level. */
  tcpDialTimeout: 1211,
  /** The peer refused the connection. */
  tcpDialRefused: 1212,
  /** The peer reset the connection. */
  tcpResetByPeer: 1220,
} as const)

/** A request that ended without a response: k6's error code and message. */
export interface HttpFailure {
  code: number
  message: string
}

/** k6's message for a request timeout. */
export const REQUEST_TIMEOUT_MESSAGE = 'request timeout'

/**
 * Maps a Node socket error to k6's code and message. `connected` says whether the TCP
 * connection had been established (dial errors and read/write errors differ in k6).
 */
export function failureFromSocketError(error: Error, connected: boolean): HttpFailure {
  const errno = (error as NodeJS.ErrnoException).code ?? ''
  switch (errno) {
    case 'ECONNREFUSED':
      return { code: K6_ERROR_CODES.tcpDialRefused, message: 'dial: connection refused' }
    case 'ECONNRESET':
      return { code: K6_ERROR_CODES.tcpResetByPeer, message: 'read: connection reset by peer' }
    case 'EPIPE':
      return { code: K6_ERROR_CODES.tcpBrokenPipe, message: 'write: broken pipe' }
    case 'ENOTFOUND':
      return { code: K6_ERROR_CODES.dnsNoSuchHost, message: 'lookup: no such host' }
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return { code: K6_ERROR_CODES.dns, message: `lookup: ${error.message}` }
    case 'ETIMEDOUT':
      if (!connected) return { code: K6_ERROR_CODES.tcpDialTimeout, message: 'dial: i/o timeout' }
      break
  }
  return connected
    ? { code: K6_ERROR_CODES.tcp, message: `read: ${error.message}` }
    : { code: K6_ERROR_CODES.tcpDial, message: `dial: ${error.message}` }
}

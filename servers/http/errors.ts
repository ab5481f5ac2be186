/**
 * The one closed table of faults a peer can cause, shared by every transport: each code
 * maps to an HTTP status, a WebSocket close code (null when the socket stays open and
 * gets an `error` message instead) and a message that says what to do next.
 */
import type { ServerResponse } from 'node:http'
import type { Response } from 'express'
import { encodeError } from '../feed/codec.ts'

/** Every peer fault, by code. */
export const FAULTS = {
  'bad-request': {
    status: 400,
    close: null,
    message: 'the request is not valid HTTP/1.1 and could not be parsed',
  },
  'request-timeout': {
    status: 408,
    close: null,
    message:
      'the request did not arrive in time (headers within 10 s, the whole request within 30 s)',
  },
  'headers-too-big': {
    status: 431,
    close: null,
    message: 'request headers too large: at most 16 KiB in all',
  },
  'bad-target': {
    status: 400,
    close: null,
    message: 'bad request-target: send a path such as /sse or /poll/long?epoch=…&since=…',
  },
  'bad-handshake': {
    status: 400,
    close: null,
    message: 'bad WebSocket handshake: send it over HTTP/1.1 with a Host header (RFC 6455 §4.1)',
  },
  'bad-json': { status: 400, close: null, message: 'the message is not valid JSON' },
  'bad-message': { status: 400, close: null, message: 'the message has missing or invalid fields' },
  'unknown-type': {
    status: 400,
    close: null,
    message: 'unknown message type; send "ping" or "control"',
  },
  'bad-cursor': {
    status: 400,
    close: null,
    message:
      'bad cursor: send both epoch (the epoch you saw) and since (an integer ≥ 0, at most 2^53 − 1), or neither',
  },
  'bad-last-event-id': {
    status: 400,
    close: null,
    message: 'bad Last-Event-ID: expected "<epoch>:<seq>" as sent in the id of each event',
  },
  'bad-wait': {
    status: 400,
    close: null,
    message: 'bad wait: an integer number of seconds in [0, 60]',
  },
  'bad-session': {
    status: 400,
    close: null,
    message: 'bad session: use the session id the stream or poll reply announced',
  },
  'unknown-session': {
    status: 404,
    close: null,
    message: 'unknown session: it ended or expired; open a new stream or poll without session',
  },
  'unknown-event': {
    status: 404,
    close: null,
    message: 'no event with this id; GET /api/events lists them',
  },
  'not-found': {
    status: 404,
    close: null,
    message: 'no such endpoint; see the server README for the list',
  },
  'method-not-allowed': {
    status: 405,
    close: null,
    message: 'method not allowed on this endpoint',
  },
  'unsupported-protocol': {
    status: 404,
    close: null,
    message: 'this protocol is not enabled on this server (--protocols)',
  },
  'forbidden-origin': {
    status: 403,
    close: 1008,
    message: 'this Origin is not allowed; start the server with --allow-origin naming it',
  },
  'token-missing': {
    status: 401,
    close: 1008,
    message:
      'this server needs a token: send Authorization: Bearer <jwt>, cookie rl_token, subprotocol bearer.<jwt> or ?access_token=',
  },
  'token-invalid': {
    status: 401,
    close: 1008,
    message: 'the token was refused (signature, algorithm, iss or aud); get a new one',
  },
  'token-expired': {
    status: 401,
    close: 1008,
    message: 'the token has expired; get a new one and reconnect to resume',
  },
  'too-many-connections': {
    status: 429,
    close: 1008,
    message: 'too many open connections from this address (--max-connections-per-ip)',
  },
  'too-many-sessions': {
    status: 429,
    close: null,
    message:
      'too many poll sessions from this address (--max-poll-sessions-per-ip): reuse the session your last reply announced',
  },
  'rate-limited': {
    status: 429,
    close: 1008,
    message: 'too many requests or messages; wait Retry-After seconds (or send fewer) and retry',
  },
  'too-big': { status: 413, close: 1009, message: 'message too big' },
  'unsupported-encoding': {
    status: 415,
    close: null,
    message:
      'unsupported body encoding: send UTF-8, with Content-Encoding identity, gzip, deflate or br',
  },
  slow: {
    status: 503,
    close: 4008,
    message: 'slow consumer: unsent data passed the bound; reconnect to resume from history',
  },
  'shutting-down': {
    status: 503,
    close: 1001,
    message: 'server shutting down; reconnect to resume',
  },
  restarting: {
    status: 503,
    close: 1012,
    message: 'service restart; reconnect in a moment to resume from your cursor',
  },
  internal: { status: 500, close: 1011, message: 'internal server error' },
} as const satisfies Record<string, { status: number; close: number | null; message: string }>

/** A key of {@link FAULTS}. */
export type FaultCode = keyof typeof FAULTS

/** A fault with an optional detail that replaces the table's default message. */
export interface Fault {
  code: FaultCode
  message: string
}

/** Make a fault value from its code, with an optional more specific message. */
export function fault(code: FaultCode, message?: string): Fault {
  return { code, message: message ?? FAULTS[code].message }
}

/** Reply to an HTTP request with a fault: its status and an `error` message body. */
export function sendFault(
  res: Response,
  failure: Fault,
  headers: Record<string, string> = {},
): void {
  res
    .status(FAULTS[failure.code].status)
    .set(headers)
    .type('application/json')
    .send(encodeError(failure.code, failure.message))
}

/**
 * {@link sendFault} for a plain `node:http` response (the routes served before express):
 * the same status, headers and body, byte for byte.
 */
export function writeFaultReply(
  res: ServerResponse,
  failure: Fault,
  headers: Record<string, string> = {},
): void {
  const body = encodeError(failure.code, failure.message)
  res.writeHead(FAULTS[failure.code].status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  })
  res.end(body)
}

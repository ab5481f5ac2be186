/**
 * Parsing of client-supplied cursors and parameters: query strings and `Last-Event-ID`.
 * Returns values or faults, never throws.
 */
import type { Cursor } from '../feed/history-ring.ts'
import { fault, type Fault } from './errors.ts'

/** A parsed value or the fault that explains why it was refused. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; fault: Fault }

// Epochs are short base64url names; bound what a client may send back.
const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,64}$/
const SEQ_PATTERN = /^(0|[1-9][0-9]{0,15})$/

const single = (value: unknown): string | undefined | null =>
  value === undefined ? undefined : typeof value === 'string' ? value : null

/** Parse a seq (integer ≥ 0, ≤ 2^53 − 1); null when it is not one. */
export function parseSeq(text: string): number | null {
  if (!SEQ_PATTERN.test(text)) return null
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : null
}

/**
 * Parse `epoch` and `since` from a query: both absent → no cursor (undefined); both
 * valid → the cursor; anything else → `bad-cursor`.
 */
export function parseCursorQuery(query: Record<string, unknown>): Parsed<Cursor | undefined> {
  const epoch = single(query['epoch'])
  const since = single(query['since'])
  if (epoch === undefined && since === undefined) return { ok: true, value: undefined }
  if (epoch === null || since === null) {
    return {
      ok: false,
      fault: fault('bad-cursor', 'bad cursor: epoch and since may each appear once'),
    }
  }
  if (epoch === undefined || since === undefined) {
    return {
      ok: false,
      fault: fault('bad-cursor', 'bad cursor: send epoch and since together, or neither'),
    }
  }
  if (!EPOCH_PATTERN.test(epoch)) {
    return {
      ok: false,
      fault: fault('bad-cursor', 'bad cursor: epoch must be 1–64 characters of [A-Za-z0-9_-]'),
    }
  }
  const seq = parseSeq(since)
  if (seq === null) {
    return {
      ok: false,
      fault: fault(
        'bad-cursor',
        `bad cursor: since must be an integer in [0, 2^53 − 1], got ${JSON.stringify(since.slice(0, 40))}`,
      ),
    }
  }
  return { ok: true, value: { epoch, since: seq } }
}

/** Parse a `Last-Event-ID` of the form `<epoch>:<seq>`; absent or empty → no cursor. */
export function parseLastEventId(header: string | undefined): Parsed<Cursor | undefined> {
  if (header === undefined || header === '') return { ok: true, value: undefined }
  const colon = header.lastIndexOf(':')
  const epoch = header.slice(0, colon)
  const seq = colon > 0 ? parseSeq(header.slice(colon + 1)) : null
  if (seq === null || !EPOCH_PATTERN.test(epoch)) {
    return { ok: false, fault: fault('bad-last-event-id') }
  }
  return { ok: true, value: { epoch, since: seq } }
}

/**
 * The SSE resume point: the `Last-Event-ID` header, else the `lastEventId` query a fresh
 * EventSource can carry; a query holding it more than once is `bad-last-event-id`, as a
 * repeated `since` is `bad-cursor` on the other transports.
 */
export function parseStreamCursor(
  header: string | undefined,
  query: Record<string, unknown>,
): Parsed<Cursor | undefined> {
  const queryId = single(query['lastEventId'])
  if (queryId === null) {
    return {
      ok: false,
      fault: fault('bad-last-event-id', 'bad Last-Event-ID: the lastEventId query may appear once'),
    }
  }
  return parseLastEventId(header ?? queryId)
}

/** Parse the long-poll `wait` in seconds; absent → `fallback`. */
export function parseWait(query: Record<string, unknown>, fallback: number): Parsed<number> {
  const wait = single(query['wait'])
  if (wait === undefined) return { ok: true, value: fallback }
  const value = wait === null ? null : parseSeq(wait)
  if (value === null || value > 60) return { ok: false, fault: fault('bad-wait') }
  return { ok: true, value }
}

const SESSION_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/** Parse an optional session id (query param or body field). */
export function parseSessionId(value: unknown): Parsed<string | undefined> {
  if (value === undefined) return { ok: true, value: undefined }
  if (typeof value !== 'string' || !SESSION_PATTERN.test(value)) {
    return { ok: false, fault: fault('bad-session') }
  }
  return { ok: true, value }
}

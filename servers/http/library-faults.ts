/**
 * What a library's client error means. body-parser and express's router signal the peer's
 * mistakes by throwing errors with a 4xx `status` (a bad `Content-Encoding`, gzip that does
 * not inflate, a malformed `%`-escape in a route param); those are the peer's faults, answered
 * with their own 4xx and logged as one line, never as a 500 with a stack trace.
 */
import { FAULTS, fault, type Fault } from './errors.ts'

/** A library's 4xx error, sorted by what the peer got wrong. */
export interface LibraryClientError {
  /** `too-big`: the body passed the limit; `encoding`: unsupported Content-Encoding or
   * charset; `target`: a malformed escape in the path; `body`: a body that cannot be read. */
  readonly kind: 'too-big' | 'encoding' | 'target' | 'body'
  /** The library's status (400–499). */
  readonly status: number
  /** What the library said, bounded, for the message and the log line. */
  readonly detail: string
}

// The library's message is quoted to the peer; bound it.
const DETAIL_CHARS = 120

/**
 * Sorts `error` when it is a library's client error (a `status` or `statusCode` in
 * 400–499); null for anything else, which is a bug of ours.
 */
export function libraryClientError(error: unknown): LibraryClientError | null {
  if (typeof error !== 'object' || error === null) return null
  const record = error as { status?: unknown; statusCode?: unknown; type?: unknown }
  const status =
    typeof record.status === 'number'
      ? record.status
      : typeof record.statusCode === 'number'
        ? record.statusCode
        : null
  if (status === null || !Number.isInteger(status) || status < 400 || status > 499) return null
  const type = typeof record.type === 'string' ? record.type : null
  const message = error instanceof Error ? error.message : String(type)
  const detail = (type === null ? message : `${type}: ${message}`).slice(0, DETAIL_CHARS)
  if (status === 413 || type === 'entity.too.large') return { kind: 'too-big', status, detail }
  if (status === 415 || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return { kind: 'encoding', status, detail }
  }
  if (error instanceof URIError) return { kind: 'target', status, detail }
  return { kind: 'body', status, detail }
}

/** The fault of the one errors table for a library's client error. */
export function faultOfLibraryError(error: LibraryClientError, maxPayload: number): Fault {
  switch (error.kind) {
    case 'too-big':
      return fault('too-big', `body too big: at most ${maxPayload} bytes`)
    case 'encoding':
      return fault(
        'unsupported-encoding',
        `${FAULTS['unsupported-encoding'].message} (${error.detail})`,
      )
    case 'target':
      return fault('bad-target', `${FAULT_PREFIX.target} (${error.detail})`)
    case 'body':
      return fault('bad-message', `${FAULT_PREFIX.body} (${error.detail})`)
  }
}

const FAULT_PREFIX = {
  target: 'bad request-target: a %-escape in the path does not decode',
  body: 'unreadable body',
} as const

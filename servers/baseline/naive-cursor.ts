/**
 * Parses a resume cursor (`epoch` + `since`) from a query string or `Last-Event-ID`.
 */

/** A parsed cursor, or the reason it could not be parsed. */
export type ParsedCursor =
  | { ok: true; epoch: string | undefined; since: number | undefined }
  | { ok: false; message: string }

/** Reads `epoch` and `since`; both absent means "no cursor", one without the other is an error. */
export function parseCursor(epoch: string | null, since: string | null): ParsedCursor {
  if ((epoch === null || epoch === '') && (since === null || since === '')) {
    return { ok: true, epoch: undefined, since: undefined }
  }
  if (epoch === null || epoch === '' || since === null || since === '') {
    return { ok: false, message: 'send both epoch and since, or neither' }
  }
  if (!/^\d{1,15}$/.test(since)) {
    return { ok: false, message: `since must be a non-negative integer, got "${since}"` }
  }
  return { ok: true, epoch, since: Number(since) }
}

/** Reads an SSE `Last-Event-ID` of the form `<epoch>:<seq>`. */
export function parseLastEventId(header: string | undefined): ParsedCursor {
  if (header === undefined || header === '') return parseCursor(null, null)
  const colon = header.lastIndexOf(':')
  if (colon <= 0) return { ok: false, message: 'Last-Event-ID must be <epoch>:<seq>' }
  return parseCursor(header.slice(0, colon), header.slice(colon + 1))
}

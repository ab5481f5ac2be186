/**
 * An incremental HTTP/1.1 response parser (RFC 9112) with no I/O: fed the bytes of each
 * socket read as they come, split anywhere, it reports the head, the body bytes (chunked
 * transfer coding removed) and the end of the message. It reads what a keep-alive client
 * needs and nothing more: status line, headers, `Content-Length`, `Transfer-Encoding:
 * chunked` (extensions and trailers skipped), bodiless responses (HEAD, 1xx, 204, 304),
 * bodies delimited by the connection's close, and `Connection: close`.
 *
 * A malformed response is a fault of the peer: `feed` returns {@link PARSE_FAILED} and
 * {@link HttpResponseParser.error} says what was wrong; nothing is thrown.
 */

/** The head of a response, as the client reports it. */
export interface HttpResponseHead {
  /** Status code, e.g. 200. */
  status: number
  /** Status code and reason phrase as Go's `Response.Status` (k6's `status_text`): `200 OK`. */
  statusText: string
  /** Headers in Go's canonical form (`etag` → `Etag`); repeated names joined with `, `. */
  headers: Record<string, string>
  /** False when the server will close the connection after this response. */
  keepAlive: boolean
}

/** Receives what the parser reads; buffers handed to `onBody` are valid only during the call. */
export interface HttpResponseHandler {
  onHead(head: HttpResponseHead): void
  onBody(buffer: Buffer, start: number, end: number): void
  onComplete(): void
}

/** Returned by {@link HttpResponseParser.feed} when the response is malformed. */
export const PARSE_FAILED = -1

/** Limits of the parser, in bytes. */
export const HTTP_PARSER_LIMITS = Object.freeze({
  /** Status line plus headers (Node's own http client allows 16 KiB; 64 KiB is generous). */
  maxHeadBytes: 64 * 1024,
  /** Hex digits of one chunk size (12 digits: chunks up to 256 TiB, far below 2^53). */
  maxChunkSizeDigits: 12,
})

const State = {
  head: 0,
  bodyLength: 1,
  bodyUntilClose: 2,
  chunkSize: 3,
  chunkExtension: 4,
  chunkSizeLf: 5,
  chunkData: 6,
  chunkDataCr: 7,
  chunkDataLf: 8,
  trailerLineStart: 9,
  trailerLine: 10,
  trailerEndLf: 11,
  done: 12,
  failed: 13,
} as const
type State = (typeof State)[keyof typeof State]

const CR = 0x0d
const LF = 0x0a

// Canonical names of the header names servers send, computed once per spelling. Bounded,
// so a server inventing names cannot grow it without end.
const canonicalNames = new Map<string, string>()
const CANONICAL_CACHE_LIMIT = 512

/** Go's canonical header form (`etag` → `Etag`, `content-type` → `Content-Type`), as k6 reports headers. */
export function canonicalHeaderName(name: string): string {
  const known = canonicalNames.get(name)
  if (known !== undefined) return known
  let canonical = ''
  let upper = true
  for (const char of name) {
    canonical += upper ? char.toUpperCase() : char.toLowerCase()
    upper = char === '-'
  }
  if (canonicalNames.size < CANONICAL_CACHE_LIMIT) canonicalNames.set(name, canonical)
  return canonical
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37
  return -1
}

/** Reads one response at a time from a connection's bytes; {@link reset} before each one. */
export class HttpResponseParser {
  /** What was wrong, once `feed` has returned {@link PARSE_FAILED}. */
  error = ''
  readonly #handler: HttpResponseHandler
  #state: State = State.done
  #noBody = false
  #pendingHead = ''
  #remaining = 0
  #chunkDigits = 0
  // Counts completed responses: feed returns as soon as one completes, even if the handler
  // already reset the parser for the next request.
  #completions = 0

  constructor(handler: HttpResponseHandler) {
    this.#handler = handler
  }

  /** Prepares for the next response; `noBody` for a HEAD request (the reply has no body). */
  reset(noBody: boolean): void {
    this.#state = State.head
    this.#noBody = noBody
    this.#pendingHead = ''
    this.error = ''
  }

  /** True once the whole response has been read. */
  get complete(): boolean {
    return this.#state === State.done
  }

  /** True when bytes of this response have been read but it is not complete. */
  get started(): boolean {
    return this.#state !== State.head || this.#pendingHead !== ''
  }

  /**
   * Reads `buffer[start, end)`. Returns the offset where the response ended (bytes after it
   * belong to no request), `end` when it needs more, or {@link PARSE_FAILED}.
   */
  feed(buffer: Buffer, start: number, end: number): number {
    let i = start
    const completions = this.#completions
    while (i < end) {
      switch (this.#state) {
        case State.head: {
          const next = this.#readHead(buffer, i, end)
          if (next === PARSE_FAILED) return PARSE_FAILED
          i = next
          break
        }
        case State.bodyLength: {
          const take = Math.min(this.#remaining, end - i)
          this.#handler.onBody(buffer, i, i + take)
          i += take
          this.#remaining -= take
          if (this.#remaining === 0) this.#finish()
          break
        }
        case State.bodyUntilClose:
          this.#handler.onBody(buffer, i, end)
          i = end
          break
        case State.chunkSize: {
          const byte = buffer[i] ?? 0
          const digit = hexValue(byte)
          if (digit >= 0) {
            if (++this.#chunkDigits > HTTP_PARSER_LIMITS.maxChunkSizeDigits)
              return this.#fail('chunk size has too many digits')
            this.#remaining = this.#remaining * 16 + digit
          } else if (this.#chunkDigits === 0) {
            return this.#fail(`chunk size expected, got byte 0x${byte.toString(16)}`)
          } else if (byte === CR) {
            this.#state = State.chunkSizeLf
          } else if (byte === 0x3b || byte === 0x20 || byte === 0x09) {
            this.#state = State.chunkExtension
          } else {
            return this.#fail(`bad byte 0x${byte.toString(16)} in chunk size`)
          }
          i++
          break
        }
        case State.chunkExtension: {
          // Extensions carry nothing a load client uses: skip to the end of the line.
          const cr = buffer.indexOf(CR, i)
          if (cr === -1 || cr >= end) {
            i = end
          } else {
            this.#state = State.chunkSizeLf
            i = cr + 1
          }
          break
        }
        case State.chunkSizeLf:
          if (buffer[i] !== LF) return this.#fail('chunk size line does not end with CRLF')
          i++
          if (this.#remaining === 0) this.#state = State.trailerLineStart
          else this.#state = State.chunkData
          break
        case State.chunkData: {
          const take = Math.min(this.#remaining, end - i)
          this.#handler.onBody(buffer, i, i + take)
          i += take
          this.#remaining -= take
          if (this.#remaining === 0) this.#state = State.chunkDataCr
          break
        }
        case State.chunkDataCr:
          if (buffer[i] !== CR) return this.#fail('chunk data is longer than its size')
          this.#state = State.chunkDataLf
          i++
          break
        case State.chunkDataLf:
          if (buffer[i] !== LF) return this.#fail('chunk data does not end with CRLF')
          this.#startChunk()
          i++
          break
        case State.trailerLineStart:
          this.#state = buffer[i] === CR ? State.trailerEndLf : State.trailerLine
          i++
          break
        case State.trailerLine: {
          const lf = buffer.indexOf(LF, i)
          if (lf === -1 || lf >= end) {
            i = end
          } else {
            this.#state = State.trailerLineStart
            i = lf + 1
          }
          break
        }
        case State.trailerEndLf:
          if (buffer[i] !== LF) return this.#fail('chunked body does not end with CRLF')
          i++
          this.#finish()
          break
        case State.done:
          return i
        case State.failed:
          return PARSE_FAILED
      }
      if (this.#completions !== completions) return i
    }
    return i
  }

  /**
   * The connection reached its end (the server closed it). Completes a body delimited by the
   * close and returns true; false when the response is cut short (or none had begun).
   */
  endOfInput(): boolean {
    if (this.#state === State.bodyUntilClose) {
      this.#finish()
      return true
    }
    return this.#state === State.done
  }

  #fail(reason: string): number {
    this.#state = State.failed
    this.error = `malformed HTTP response: ${reason}`
    return PARSE_FAILED
  }

  #finish(): void {
    this.#state = State.done
    this.#completions++
    this.#handler.onComplete()
  }

  #startChunk(): void {
    this.#state = State.chunkSize
    this.#remaining = 0
    this.#chunkDigits = 0
  }

  /** Reads head bytes from `i`; returns where the body starts, `end`, or PARSE_FAILED. */
  #readHead(buffer: Buffer, i: number, end: number): number {
    let text: string
    let next: number
    if (this.#pendingHead === '') {
      // The whole head usually comes in one read: search the bytes, decode only the head.
      const at = buffer.indexOf('\r\n\r\n', i, 'latin1')
      if (at === -1 || at + 4 > end) {
        return this.#keepHeadPart(buffer.toString('latin1', i, end), end)
      }
      text = buffer.toString('latin1', i, at)
      next = at + 4
    } else {
      const prior = this.#pendingHead.length
      const joined = this.#pendingHead + buffer.toString('latin1', i, end)
      const at = joined.indexOf('\r\n\r\n', Math.max(0, prior - 3))
      if (at === -1) {
        this.#pendingHead = ''
        return this.#keepHeadPart(joined, end)
      }
      text = joined.slice(0, at)
      next = i + (at + 4 - prior)
      this.#pendingHead = ''
    }
    if (text.length > HTTP_PARSER_LIMITS.maxHeadBytes)
      return this.#fail(`head longer than ${HTTP_PARSER_LIMITS.maxHeadBytes} bytes`)
    return this.#parseHead(text) ? next : PARSE_FAILED
  }

  #keepHeadPart(part: string, end: number): number {
    if (part.length > HTTP_PARSER_LIMITS.maxHeadBytes)
      return this.#fail(`head longer than ${HTTP_PARSER_LIMITS.maxHeadBytes} bytes`)
    this.#pendingHead = part
    return end
  }

  /** Parses status line and headers; sets the body state. False (state failed) when malformed. */
  #parseHead(text: string): boolean {
    const lines = text.split('\r\n')
    const statusLine = lines[0] ?? ''
    const status = Number(statusLine.slice(9, 12))
    if (
      !statusLine.startsWith('HTTP/1.') ||
      statusLine.charCodeAt(8) !== 0x20 ||
      !Number.isInteger(status) ||
      status < 100
    ) {
      this.#fail(`bad status line "${statusLine.slice(0, 80)}"`)
      return false
    }
    const http10 = statusLine.charCodeAt(7) === 0x30
    let keepAlive = !http10
    let contentLength = -1
    let chunked = false
    const headers: Record<string, string> = {}
    for (let n = 1; n < lines.length; n++) {
      const line = lines[n] ?? ''
      const colon = line.indexOf(':')
      if (colon <= 0) {
        this.#fail(`bad header line "${line.slice(0, 80)}"`)
        return false
      }
      const name = canonicalHeaderName(line.slice(0, colon))
      const value = line.slice(colon + 1).trim()
      const previous = headers[name]
      headers[name] = previous === undefined ? value : `${previous}, ${value}`
      if (name === 'Content-Length') {
        const length = /^\d{1,15}$/.test(value) ? Number(value) : -1
        if (length < 0 || (contentLength >= 0 && contentLength !== length)) {
          this.#fail(`bad Content-Length "${value.slice(0, 40)}"`)
          return false
        }
        contentLength = length
      } else if (name === 'Transfer-Encoding') {
        chunked = /(?:^|,)\s*chunked\s*$/i.test(headers[name])
      } else if (name === 'Connection') {
        const tokens = value.toLowerCase()
        if (/(?:^|,)\s*close\s*(?:,|$)/.test(tokens)) keepAlive = false
        else if (http10 && /(?:^|,)\s*keep-alive\s*(?:,|$)/.test(tokens)) keepAlive = true
      }
    }
    // 1xx interim responses (100 Continue, 103 Early Hints) precede the real one.
    if (status < 200 && status !== 101) {
      this.#state = State.head
      return true
    }
    this.#handler.onHead({
      status,
      statusText: statusLine.slice(9),
      headers,
      // This client does not switch protocols: a 101 ends the connection's HTTP use.
      keepAlive: keepAlive && status !== 101,
    })
    if (this.#noBody || status === 101 || status === 204 || status === 304) {
      this.#finish()
    } else if (chunked) {
      this.#startChunk()
    } else if (contentLength >= 0) {
      this.#remaining = contentLength
      if (contentLength === 0) this.#finish()
      else this.#state = State.bodyLength
    } else {
      this.#state = State.bodyUntilClose
    }
    return true
  }
}

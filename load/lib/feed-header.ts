/**
 * Reads the head of a JSON feed message without `JSON.parse`: every serialized message starts
 * `{"type":"…","epoch":"…","seq":N,"t":T,` (DESIGN.md, "The feed"), so its fields are found
 * with `indexOf`. Pure code with no k6 or Node imports: the k6 scenarios (through
 * `feed-reader.ts`), the engine's perf clients, the soak and the server micro-benchmarks
 * share it.
 */

/**
 * Reads `"key":<number>` starting the search at `from`; NaN when absent. Digits are
 * accumulated by char code so no substring is allocated per message; an exponent falls
 * back to `Number()`.
 */
export function readFeedNumber(text: string, key: string, from: number): number {
  const at = text.indexOf(key, from)
  if (at < 0) return NaN
  let i = at + key.length
  const start = i
  let negative = false
  if (text.charCodeAt(i) === 45) {
    negative = true
    i++
  }
  let value = 0
  let code = text.charCodeAt(i)
  if (code < 48 || code > 57) return NaN
  while (code >= 48 && code <= 57) {
    value = value * 10 + (code - 48)
    code = text.charCodeAt(++i)
  }
  if (code === 46) {
    let scale = 0.1
    code = text.charCodeAt(++i)
    while (code >= 48 && code <= 57) {
      value += (code - 48) * scale
      scale /= 10
      code = text.charCodeAt(++i)
    }
  }
  if (code === 101 || code === 69) {
    let end = i + 1
    while (end < text.length && ',}]'.indexOf(text.charAt(end)) < 0) end++
    return Number(text.slice(start, end))
  }
  return negative ? -value : value
}

/** Reads `"key":"<string>"` starting at `from`; empty when absent. */
export function readFeedString(text: string, key: string, from: number): string {
  const at = text.indexOf(key, from)
  if (at < 0) return ''
  const start = at + key.length
  return text.slice(start, text.indexOf('"', start))
}

/** The head of one JSON feed message. */
export interface FeedHeader {
  /** `frame`, `snapshot`, `reset`, `pong`, `error`… */
  type: string
  /** '' when the message has none. */
  epoch: string
  /** NaN when the message has none (a reset, a pong). */
  seq: number
  /** The server's send time, unix ms; NaN when absent. */
  t: number
}

/**
 * The head of the JSON feed message starting at `from` in `text`; null when no message
 * starts there. Reads only the head, so a 96-byte prefix of a frame is enough.
 */
export function readFeedHeader(text: string, from = 0): FeedHeader | null {
  if (!text.startsWith('{"type":"', from)) return null
  const typeStart = from + 9
  const typeEnd = text.indexOf('"', typeStart)
  if (typeEnd < 0) return null
  return {
    type: text.slice(typeStart, typeEnd),
    epoch: readFeedString(text, '"epoch":"', typeEnd),
    seq: readFeedNumber(text, '"seq":', typeEnd),
    t: readFeedNumber(text, '"t":', typeEnd),
  }
}

/** How many JSON feed messages `text` holds (a poll reply's `messages`, a stream chunk). */
export function countFeedMessages(text: string): number {
  let count = 0
  for (let at = text.indexOf('{"type":'); at !== -1; at = text.indexOf('{"type":', at + 8)) count++
  return count
}

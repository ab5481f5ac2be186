/**
 * Reads feed messages without `JSON.parse`: every serialized frame starts with
 * `{"type":"…","epoch":"…","seq":N,"t":T,` (DESIGN.md, "The feed"), so `type`, `seq` and
 * `t` are found with `indexOf` and slicing. Parsing whole frames costs k6 tens of µs per
 * message and turns the load generator into the bottleneck.
 */
import { feedFrames, feedGaps, feedLatency, feedResets } from './feed-metrics.ts'

const TYPE_PREFIX = '{"type":"'
const EPOCH_KEY = '"epoch":"'
const SEQ_KEY = '"seq":'
const T_KEY = '"t":'

/** Reads `"key":<number>` starting the search at `from`; NaN when absent. */
function readNumber(text: string, key: string, from: number): number {
  const at = text.indexOf(key, from)
  if (at < 0) return NaN
  const start = at + key.length
  let end = start
  // Number characters only: digits, sign, dot, exponent.
  while (end < text.length) {
    const code = text.charCodeAt(end)
    if (code === 44 || code === 125 || code === 93) break // , } ]
    end++
  }
  return Number(text.slice(start, end))
}

/** Reads `"key":"<string>"` starting at `from`; empty when absent. */
function readString(text: string, key: string, from: number): string {
  const at = text.indexOf(key, from)
  if (at < 0) return ''
  const start = at + key.length
  return text.slice(start, text.indexOf('"', start))
}

/**
 * Per-connection feed state: last `seq` and `epoch` (the resume cursor), gap and reset
 * counting, and latency inside the steady window. Create one per VU iteration, never at
 * module level.
 */
export class FeedTracker {
  /** Epoch of the last snapshot or reset; '' before the first. */
  epoch = ''
  /** `seq` of the last frame seen; -1 before the first. */
  lastSeq = -1
  /** Frames seen by this tracker. */
  frames = 0
  private readonly tags: Record<string, string>
  private readonly steadyFrom: number

  /**
   * @param protocol metric tag value
   * @param steadyFrom unix ms from which latency counts (after ramp-up)
   */
  constructor(protocol: string, steadyFrom: number) {
    this.tags = { protocol }
    this.steadyFrom = steadyFrom
    feedGaps.add(0, this.tags)
  }

  /**
   * Reads one message starting at `from` in `text` (a whole WebSocket/SSE message, or one
   * element of a poll reply). Returns the message type.
   */
  read(text: string, receivedAt: number, from = 0): string {
    if (!text.startsWith(TYPE_PREFIX, from)) return ''
    const typeStart = from + TYPE_PREFIX.length
    const typeEnd = text.indexOf('"', typeStart)
    const type = text.slice(typeStart, typeEnd)
    if (type === 'frame' || type === 'snapshot') {
      const seq = readNumber(text, SEQ_KEY, typeEnd)
      const t = readNumber(text, T_KEY, typeEnd)
      if (type === 'snapshot') {
        this.epoch = readString(text, EPOCH_KEY, typeEnd)
      } else if (this.lastSeq >= 0 && seq > this.lastSeq + 1) {
        feedGaps.add(seq - this.lastSeq - 1, this.tags)
      }
      if (seq > this.lastSeq) this.lastSeq = seq
      this.frames++
      feedFrames.add(1, this.tags)
      if (receivedAt >= this.steadyFrom) feedLatency.add(receivedAt - t, this.tags)
    } else if (type === 'reset') {
      feedResets.add(1, this.tags)
      this.epoch = readString(text, EPOCH_KEY, typeEnd)
      this.lastSeq = -1
    }
    return type
  }

  /**
   * Reads a poll reply `{"epoch","next","messages":[…]}` and returns its `next` cursor
   * (NaN when the body is not a poll reply).
   */
  readPollReply(body: string, receivedAt: number): number {
    const next = readNumber(body, '"next":', 0)
    const epoch = readString(body, EPOCH_KEY, 0)
    if (epoch !== '') this.epoch = epoch
    let at = body.indexOf(TYPE_PREFIX)
    while (at >= 0) {
      this.read(body, receivedAt, at)
      at = body.indexOf(TYPE_PREFIX, at + TYPE_PREFIX.length)
    }
    return next
  }

  /** The resume query `?epoch=…&since=…`, or '' before any frame. */
  cursorQuery(): string {
    return this.lastSeq >= 0 && this.epoch !== ''
      ? `?epoch=${encodeURIComponent(this.epoch)}&since=${this.lastSeq}`
      : ''
  }
}

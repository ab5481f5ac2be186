/**
 * Parsing of raw Redis Stream replies (RESP2 arrays, as `sendCommand` returns them) into
 * typed entries. No I/O. Raw replies keep the code independent of node-redis's reply
 * transformers, which differ between RESP versions.
 *
 * A reply of the wrong shape throws: Redis itself misbehaves, and the reader treats it as an
 * outage. One entry that cannot be used (no seq, a frame that is not a frame's JSON, events
 * that are not a list) comes back as a {@link RejectedEntry} instead, so the reader can step
 * over it: were it to throw, every read from that id on would throw again and the feed would
 * stall behind one poison entry.
 */
import type { ScoredEvent, Sprite } from '../feed/messages.ts'

/** One entry of the frames stream. */
export interface StreamEntry {
  /** Redis entry id, `<ms>-<n>`. */
  readonly id: string
  /** Feed seq of the frame. */
  readonly seq: number
  /** The `frame` message as JSON text, sent to clients as it is. */
  readonly frame: string
  /** The frame's epoch and sprites, parsed once here. */
  readonly epoch: string
  readonly sprites: Sprite[]
  /** Every scored event after this frame (the state a late reader needs). */
  readonly events: ScoredEvent[]
}

/** An entry of the stream the feed cannot use, with why; the reader skips it. */
export interface RejectedEntry {
  readonly id: string
  readonly rejected: string
}

/** Whether `entry` was rejected. */
export const isRejected = (entry: StreamEntry | RejectedEntry): entry is RejectedEntry =>
  'rejected' in entry

/** Whether `entry` is a frame the feed can use (to find the first or newest one). */
export const isUsable = (entry: StreamEntry | RejectedEntry): entry is StreamEntry =>
  !isRejected(entry)

const asText = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return value.toString()
  return undefined
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** The fields of a frame message the feed reads. */
interface FrameFields {
  epoch: unknown
  sprites: unknown
}

const isRecord = (value: unknown): value is Partial<FrameFields> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** One `[id, [field, value, …]]` of a reply: an entry, a rejected entry, or a throw (no id). */
function parseEntry(raw: unknown): StreamEntry | RejectedEntry {
  const id = Array.isArray(raw) && raw.length === 2 ? asText(raw[0]) : undefined
  if (id === undefined || !Array.isArray(raw) || !Array.isArray(raw[1]))
    throw new TypeError('stream reply: expected [id, [field, value, …]]')
  const fields = new Map<string, string>()
  const pairs = raw[1] as unknown[]
  for (let index = 0; index + 1 < pairs.length; index += 2) {
    const name = asText(pairs[index])
    const value = asText(pairs[index + 1])
    if (name === undefined || value === undefined)
      return { id, rejected: 'a field or value is not a string' }
    fields.set(name, value)
  }
  const seq = Number(fields.get('seq'))
  const frame = fields.get('frame')
  if (!Number.isSafeInteger(seq) || seq < 1 || frame === undefined)
    return { id, rejected: 'lacks seq or frame' }
  const parsed = parseJson(frame)
  if (!isRecord(parsed) || typeof parsed.epoch !== 'string' || !Array.isArray(parsed.sprites))
    return { id, rejected: 'frame is not a frame message (JSON with epoch and sprites)' }
  const events = parseJson(fields.get('events') ?? '[]')
  if (!Array.isArray(events)) return { id, rejected: 'events is not a JSON list' }
  return {
    id,
    seq,
    frame,
    epoch: parsed.epoch,
    sprites: parsed.sprites as Sprite[],
    events: events as ScoredEvent[],
  }
}

/** Parse `[[id, [field, value, …]], …]` (the reply of XRANGE / XREVRANGE). */
export function parseEntries(reply: unknown): (StreamEntry | RejectedEntry)[] {
  if (reply === null) return []
  if (!Array.isArray(reply)) throw new TypeError('stream reply: expected an array of entries')
  return reply.map(parseEntry)
}

/**
 * Parse the reply of `XREAD … STREAMS <one key> <id>`: `[[key, entries]]` (RESP2), a
 * `{key: entries}` map (RESP3, as node-redis hands it), or null.
 */
export function parseReadReply(reply: unknown): (StreamEntry | RejectedEntry)[] {
  if (reply === null) return []
  if (typeof reply === 'object' && !Array.isArray(reply)) {
    const [entries] = Object.values(reply as Record<string, unknown>)
    return entries === undefined ? [] : parseEntries(entries)
  }
  if (!Array.isArray(reply) || reply.length === 0) return []
  const first: unknown = reply[0]
  if (!Array.isArray(first) || first.length !== 2) {
    throw new TypeError('XREAD reply: expected [[key, entries]]')
  }
  return parseEntries(first[1])
}

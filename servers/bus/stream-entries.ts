/**
 * Parsing of raw Redis Stream replies (RESP2 arrays, as `sendCommand` returns them) into
 * typed entries. No I/O. Raw replies keep the code independent of node-redis's reply
 * transformers, which differ between RESP versions.
 */

/** One entry of the frames stream. */
export interface StreamEntry {
  /** Redis entry id, `<ms>-<n>`. */
  readonly id: string
  /** Feed seq of the frame. */
  readonly seq: number
  /** The `frame` message as JSON text. */
  readonly frame: string
  /** Every scored event after this frame, as JSON text (the state a late reader needs). */
  readonly events: string
}

const asText = (value: unknown): string => {
  if (typeof value === 'string') return value
  if (Buffer.isBuffer(value)) return value.toString()
  throw new TypeError(`stream reply: expected a string, got ${typeof value}`)
}

/** Parse `[[id, [field, value, …]], …]` (the reply of XRANGE / XREVRANGE). */
export function parseEntries(reply: unknown): StreamEntry[] {
  if (reply === null) return []
  if (!Array.isArray(reply)) throw new TypeError('stream reply: expected an array of entries')
  return reply.map((raw: unknown) => {
    if (!Array.isArray(raw) || raw.length !== 2 || !Array.isArray(raw[1])) {
      throw new TypeError('stream reply: expected [id, [field, value, …]]')
    }
    const fields = new Map<string, string>()
    const pairs = raw[1] as unknown[]
    for (let index = 0; index + 1 < pairs.length; index += 2) {
      fields.set(asText(pairs[index]), asText(pairs[index + 1]))
    }
    const seq = Number(fields.get('seq'))
    const frame = fields.get('frame')
    if (!Number.isInteger(seq) || frame === undefined) {
      throw new TypeError(`stream reply: entry ${asText(raw[0])} lacks seq or frame`)
    }
    return { id: asText(raw[0]), seq, frame, events: fields.get('events') ?? '[]' }
  })
}

/**
 * Parse the reply of `XREAD … STREAMS <one key> <id>`: `[[key, entries]]` (RESP2), a
 * `{key: entries}` map (RESP3, as node-redis hands it), or null.
 */
export function parseReadReply(reply: unknown): StreamEntry[] {
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

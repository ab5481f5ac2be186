/**
 * UTF-8 text from byte ranges of the shared read buffer, as they arrive: a character split
 * between two reads is carried (at most 3 bytes) to the next one. Unlike StringDecoder or
 * TextDecoder it takes `(buffer, start, end)`, so decoding a read makes no Buffer view.
 * No I/O here.
 */

/** Sequence length announced by a UTF-8 lead byte; 0 for a continuation byte. */
function sequenceLength(byte: number): number {
  if (byte < 0x80) return 1
  if (byte < 0xc0) return 0
  if (byte < 0xe0) return 2
  if (byte < 0xf0) return 3
  return 4
}

/** Decodes one byte stream; keep one per stream. */
export class SseUtf8Decoder {
  readonly #carry = Buffer.alloc(4)
  #carried = 0

  /** The text of `buffer[start, end)`, less a trailing incomplete character (kept for next time). */
  decode(buffer: Buffer, start: number, end: number): string {
    let text = ''
    let from = start
    if (this.#carried > 0) {
      const needed = sequenceLength(this.#carry[0] ?? 0) - this.#carried
      const take = Math.min(Math.max(needed, 0), end - from)
      buffer.copy(this.#carry, this.#carried, from, from + take)
      this.#carried += take
      from += take
      if (take < needed) return ''
      text = this.#carry.toString('utf8', 0, this.#carried)
      this.#carried = 0
    }
    // Find where the last complete character ends: look back at most 3 bytes for a lead byte.
    let cut = end
    for (let i = end - 1; i >= from && i >= end - 3; i--) {
      const length = sequenceLength(buffer[i] ?? 0)
      if (length === 0) continue
      if (i + length > end) cut = i
      break
    }
    if (cut < end) {
      buffer.copy(this.#carry, 0, cut, end)
      this.#carried = end - cut
    }
    return cut > from ? text + buffer.toString('utf8', from, cut) : text
  }

  /** Bytes of an incomplete character still held (0 at the end of well-formed text). */
  get pending(): number {
    return this.#carried
  }
}

/**
 * The binary forms of one tick, built at most once per tick and shared by every transport
 * and every client: the WebSocket transport writes {@link binaryTickBytes}, the SSE
 * transport sends {@link base64TickText} as its `data:`. A tick from the in-process feed
 * and one read from the Redis bus are handled alike (both carry the frame's JSON text).
 */
import { binaryFromJson } from './binary-codec.ts'
import type { FeedEncoding } from './binary-layout.ts'
import type { FeedTick } from './feed.ts'

interface BinaryForms {
  readonly bytes: Buffer
  base64: string | undefined
}

// Keyed by the tick object itself: forgotten with the tick, no per-tick bookkeeping.
const forms = new WeakMap<FeedTick, BinaryForms>()

function formsOf(tick: FeedTick): BinaryForms {
  let found = forms.get(tick)
  if (found === undefined) {
    const binary = binaryFromJson(tick.text)
    if (binary === null) throw new TypeError(`tick ${tick.seq} is not a frame`)
    found = {
      bytes: Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength),
      base64: undefined,
    }
    forms.set(tick, found)
  }
  return found
}

/** The tick's frame in the binary layout (`binary-layout.ts`), encoded once per tick. */
export function binaryTickBytes(tick: FeedTick): Buffer {
  return formsOf(tick).bytes
}

/** The base64 of {@link binaryTickBytes}: the SSE `data:` of a binary feed, once per tick. */
export function base64TickText(tick: FeedTick): string {
  const found = formsOf(tick)
  found.base64 ??= found.bytes.toString('base64')
  return found.base64
}

/**
 * The SSE `data:` of one serialized feed message (catch-up and replays): with `binary`, the
 * base64 of a frame's or snapshot's binary form; the JSON text itself otherwise and for the
 * messages that stay JSON (`reset`, `pong`, `error`).
 */
export function sseDataOf(text: string, encoding: FeedEncoding): string {
  if (encoding === 'json') return text
  const binary = binaryFromJson(text)
  return binary === null
    ? text
    : Buffer.from(binary.buffer, binary.byteOffset, binary.byteLength).toString('base64')
}

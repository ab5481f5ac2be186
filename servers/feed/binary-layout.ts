/**
 * The byte layout of the binary feed encoding (`--encoding binary`): constants only, no
 * imports and no Node APIs, so the server codec (`binary-codec.ts`), the k6 scripts
 * (`load/lib/feed-reader.ts`) and the site share one definition.
 *
 * A binary message is a `frame` or a `snapshot`, little-endian throughout:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | u8 | kind: 1 `frame`, 2 `snapshot` |
 * | 1 | u8 | E: epoch length in bytes (ASCII) |
 * | 2 | u16 | S: sprite count |
 * | 4 | u32 | seq, low 32 bits |
 * | 8 | u32 | seq, high 21 bits (seq = low + high × 2^32) |
 * | 12 | f64 | t, server wall clock in ms |
 * | 20 | u8 | V: event count |
 * | 21 | u32 | P: pad length in bytes (0: no `pad` field) |
 * | 25 | E | epoch |
 * | 25 + E | S × 18 | sprites: u16 id, then i32 x, y, vx, vy in hundredths of a pixel |
 * | … | V × 13 | events: u8 index (`EVENT#<index>`), u32 score, u32 + u32 updatedSeq |
 * | … | P | pad (ASCII) |
 *
 * `reset`, `pong` and `error` stay JSON text: they are rare, carry strings, and on a
 * WebSocket the frame opcode (text or binary) already tells the two apart.
 */

/** The encodings the feed can be served in (`--encoding`). */
export const FEED_ENCODINGS = ['json', 'binary'] as const

/** One of {@link FEED_ENCODINGS}. */
export type FeedEncoding = (typeof FEED_ENCODINGS)[number]

/** Kind byte of a `frame`. */
export const KIND_FRAME = 1
/** Kind byte of a `snapshot`. */
export const KIND_SNAPSHOT = 2

/** Offset of the kind byte (u8). */
export const OFFSET_KIND = 0
/** Offset of the epoch length (u8). */
export const OFFSET_EPOCH_LENGTH = 1
/** Offset of the sprite count (u16). */
export const OFFSET_SPRITE_COUNT = 2
/** Offset of seq's low 32 bits (u32). */
export const OFFSET_SEQ_LOW = 4
/** Offset of seq's high bits (u32). */
export const OFFSET_SEQ_HIGH = 8
/** Offset of `t` (f64, ms). */
export const OFFSET_T = 12
/** Offset of the event count (u8). */
export const OFFSET_EVENT_COUNT = 20
/** Offset of the pad length (u32). */
export const OFFSET_PAD_LENGTH = 21
/** Bytes before the epoch; the epoch starts here. */
export const HEADER_BYTES = 25

/** Bytes per sprite: u16 id + four i32. */
export const SPRITE_BYTES = 18
/** Bytes per event: u8 index + u32 score + u64 updatedSeq. */
export const EVENT_BYTES = 13
/** Sprite coordinates and speeds are sent as integers in units of 1 / this. */
export const COORDINATE_SCALE = 100

/** 2^32, the weight of seq's high word. */
export const HIGH_WORD = 4_294_967_296

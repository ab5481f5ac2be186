/**
 * The binary wire codec (`--encoding binary`): a `frame` or `snapshot` ⇄ the compact
 * little-endian layout of `binary-layout.ts`. No I/O and no Node APIs (DataView and
 * Uint8Array only), so a browser or a k6 script can import it too.
 *
 * The encoding is lossless for what the simulation produces: sprite coordinates are
 * hundredths of a pixel (the simulation rounds them so), scores are integers and event
 * ids and names follow from their index. Anything else is a programmer error and throws.
 */
import {
  COORDINATE_SCALE,
  EVENT_BYTES,
  HEADER_BYTES,
  HIGH_WORD,
  KIND_FRAME,
  KIND_SNAPSHOT,
  OFFSET_EPOCH_LENGTH,
  OFFSET_EVENT_COUNT,
  OFFSET_KIND,
  OFFSET_PAD_LENGTH,
  OFFSET_SEQ_LOW,
  OFFSET_SPRITE_COUNT,
  OFFSET_T,
  SPRITE_BYTES,
} from './binary-layout.ts'
import type { FrameMessage, ScoredEvent, SnapshotMessage, Sprite } from './messages.ts'
import { eventId, eventName } from './simulation.ts'

/** A message the binary encoding carries. */
export type BinaryFeedMessage = FrameMessage | SnapshotMessage

const MAX_U8 = 0xff
const MAX_U16 = 0xffff
const MAX_U32 = 0xffff_ffff

function writeAscii(view: DataView, at: number, text: string, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code > 0x7f) {
      throw new TypeError(`binary codec: ${what} must be ASCII, got ${JSON.stringify(text)}`)
    }
    view.setUint8(at + i, code)
  }
}

function readAscii(bytes: Uint8Array, at: number, length: number): string {
  let text = ''
  // Chunks keep String.fromCharCode's argument list short for a large pad.
  for (let from = at; from < at + length; from += 8192) {
    text += String.fromCharCode(...bytes.subarray(from, Math.min(at + length, from + 8192)))
  }
  return text
}

function writeU64(view: DataView, at: number, value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`binary codec: ${what} must be an integer in [0, 2^53), got ${value}`)
  }
  view.setUint32(at, value % HIGH_WORD, true)
  view.setUint32(at + 4, Math.floor(value / HIGH_WORD), true)
}

const readU64 = (view: DataView, at: number): number =>
  view.getUint32(at, true) + view.getUint32(at + 4, true) * HIGH_WORD

function writeCoordinate(view: DataView, at: number, value: number, what: string): void {
  const scaled = Math.round(value * COORDINATE_SCALE)
  if (scaled / COORDINATE_SCALE !== value || scaled < -(2 ** 31) || scaled >= 2 ** 31) {
    throw new TypeError(
      `binary codec: sprite ${what} must be a multiple of 1/${COORDINATE_SCALE} within ±2^31/${COORDINATE_SCALE}, got ${value}`,
    )
  }
  view.setInt32(at, scaled, true)
}

function eventIndex(event: ScoredEvent): number {
  const index = Number(event.id.slice('EVENT#'.length))
  if (
    !Number.isInteger(index) ||
    index < 0 ||
    index > MAX_U8 ||
    eventId(index) !== event.id ||
    eventName(index) !== event.name
  ) {
    throw new TypeError(
      `binary codec: event ${JSON.stringify(event.id)} / ${JSON.stringify(event.name)} is not EVENT#NN / Event NN`,
    )
  }
  return index
}

/**
 * Encode a `frame` or `snapshot`.
 * @throws TypeError when a value does not fit the layout (see the module doc).
 */
export function encodeBinaryMessage(message: BinaryFeedMessage): Uint8Array {
  const { epoch, sprites, events } = message
  const pad = message.type === 'frame' ? (message.pad ?? '') : ''
  if (epoch.length > MAX_U8) throw new TypeError('binary codec: epoch longer than 255 bytes')
  if (sprites.length > MAX_U16) throw new TypeError('binary codec: more than 65535 sprites')
  if (events.length > MAX_U8) throw new TypeError('binary codec: more than 255 events')
  const size =
    HEADER_BYTES + epoch.length + sprites.length * SPRITE_BYTES + events.length * EVENT_BYTES
  const bytes = new Uint8Array(size + pad.length)
  const view = new DataView(bytes.buffer)
  view.setUint8(OFFSET_KIND, message.type === 'frame' ? KIND_FRAME : KIND_SNAPSHOT)
  view.setUint8(OFFSET_EPOCH_LENGTH, epoch.length)
  view.setUint16(OFFSET_SPRITE_COUNT, sprites.length, true)
  writeU64(view, OFFSET_SEQ_LOW, message.seq, 'seq')
  view.setFloat64(OFFSET_T, message.t, true)
  view.setUint8(OFFSET_EVENT_COUNT, events.length)
  view.setUint32(OFFSET_PAD_LENGTH, pad.length, true)
  writeAscii(view, HEADER_BYTES, epoch, 'epoch')
  let at = HEADER_BYTES + epoch.length
  for (const sprite of sprites) {
    if (!Number.isInteger(sprite.id) || sprite.id < 0 || sprite.id > MAX_U16) {
      throw new TypeError(`binary codec: sprite id must be in [0, 65535], got ${sprite.id}`)
    }
    view.setUint16(at, sprite.id, true)
    writeCoordinate(view, at + 2, sprite.x, 'x')
    writeCoordinate(view, at + 6, sprite.y, 'y')
    writeCoordinate(view, at + 10, sprite.vx, 'vx')
    writeCoordinate(view, at + 14, sprite.vy, 'vy')
    at += SPRITE_BYTES
  }
  for (const event of events) {
    if (!Number.isInteger(event.score) || event.score < 0 || event.score > MAX_U32) {
      throw new TypeError(`binary codec: score must be an integer in [0, 2^32), got ${event.score}`)
    }
    view.setUint8(at, eventIndex(event))
    view.setUint32(at + 1, event.score, true)
    writeU64(view, at + 5, event.updatedSeq, 'updatedSeq')
    at += EVENT_BYTES
  }
  writeAscii(view, at, pad, 'pad')
  return bytes
}

/**
 * Decode a binary `frame` or `snapshot` into the same object its JSON form parses to.
 * @throws TypeError when `bytes` is not a well-formed binary message.
 */
export function decodeBinaryMessage(bytes: Uint8Array): BinaryFeedMessage {
  if (bytes.length < HEADER_BYTES) {
    throw new TypeError(`binary codec: ${bytes.length} bytes is shorter than the header`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const kind = view.getUint8(OFFSET_KIND)
  if (kind !== KIND_FRAME && kind !== KIND_SNAPSHOT) {
    throw new TypeError(`binary codec: unknown kind byte ${kind}`)
  }
  const epochLength = view.getUint8(OFFSET_EPOCH_LENGTH)
  const spriteCount = view.getUint16(OFFSET_SPRITE_COUNT, true)
  const eventCount = view.getUint8(OFFSET_EVENT_COUNT)
  const padLength = view.getUint32(OFFSET_PAD_LENGTH, true)
  const expected =
    HEADER_BYTES + epochLength + spriteCount * SPRITE_BYTES + eventCount * EVENT_BYTES + padLength
  if (bytes.length !== expected) {
    throw new TypeError(`binary codec: header announces ${expected} bytes, got ${bytes.length}`)
  }
  const epoch = readAscii(bytes, HEADER_BYTES, epochLength)
  const seq = readU64(view, OFFSET_SEQ_LOW)
  const t = view.getFloat64(OFFSET_T, true)
  let at = HEADER_BYTES + epochLength
  const sprites: Sprite[] = []
  for (let i = 0; i < spriteCount; i++) {
    sprites.push({
      id: view.getUint16(at, true),
      x: view.getInt32(at + 2, true) / COORDINATE_SCALE,
      y: view.getInt32(at + 6, true) / COORDINATE_SCALE,
      vx: view.getInt32(at + 10, true) / COORDINATE_SCALE,
      vy: view.getInt32(at + 14, true) / COORDINATE_SCALE,
    })
    at += SPRITE_BYTES
  }
  const events: ScoredEvent[] = []
  for (let i = 0; i < eventCount; i++) {
    const index = view.getUint8(at)
    events.push({
      id: eventId(index),
      name: eventName(index),
      score: view.getUint32(at + 1, true),
      updatedSeq: readU64(view, at + 5),
    })
    at += EVENT_BYTES
  }
  if (kind === KIND_SNAPSHOT) return { type: 'snapshot', epoch, seq, t, sprites, events }
  return padLength === 0
    ? { type: 'frame', epoch, seq, t, sprites, events }
    : { type: 'frame', epoch, seq, t, sprites, events, pad: readAscii(bytes, at, padLength) }
}

/**
 * The binary form of one serialized JSON feed message: its bytes for a `frame` or
 * `snapshot`, null for the messages that stay JSON (`reset`, `pong`, `error`).
 */
export function binaryFromJson(text: string): Uint8Array | null {
  // Frames and snapshots begin with their type (codec.ts): no parse for the others.
  if (!text.startsWith('{"type":"frame"') && !text.startsWith('{"type":"snapshot"')) return null
  return encodeBinaryMessage(JSON.parse(text) as BinaryFeedMessage)
}

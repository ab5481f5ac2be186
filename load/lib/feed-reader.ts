/**
 * Reads feed messages without `JSON.parse`: every serialized frame starts with
 * `{"type":"…","epoch":"…","seq":N,"t":T,` (DESIGN.md, "The feed"), so `type`, `seq` and
 * `t` are found with `indexOf` and slicing (the readers of `feed-header.ts`, which the
 * perf clients, the soak and the micro-benchmarks share). Parsing whole frames costs k6 tens of µs per
 * message and turns the load generator into the bottleneck.
 *
 * A server started with `--encoding binary` sends frames and snapshots in the binary
 * layout of `servers/feed/binary-layout.ts`: as binary WebSocket messages
 * ({@link readFeedBinary}: one DataView, three reads) and as base64 SSE data
 * ({@link readFeedSseData}: only the header is decoded, into a reused buffer). The
 * encoding is learned from the data itself (binary opcode; SSE data not starting with `{`),
 * so the scenarios need no setting for it; `reset`, `pong` and `error` stay JSON either way.
 */
import {
  HEADER_BYTES,
  HIGH_WORD,
  KIND_FRAME,
  KIND_SNAPSHOT,
  OFFSET_EPOCH_LENGTH,
  OFFSET_KIND,
  OFFSET_SEQ_HIGH,
  OFFSET_SEQ_LOW,
  OFFSET_T,
} from '../../servers/feed/binary-layout.ts'
import { decodeBase64Prefix } from './base64-prefix.ts'
import { readFeedNumber, readFeedString } from './feed-header.ts'
import { feedFrames, feedGaps, feedLatency, feedRecovery, feedResets } from './feed-metrics.ts'

const TYPE_PREFIX = '{"type":"'
const EPOCH_KEY = '"epoch":"'

/**
 * Per-connection feed state: last `seq` and `epoch` (the resume cursor), gap and reset
 * counting, and latency inside the steady window. Make one per VU iteration with
 * {@link createFeedTracker}, never at module level.
 *
 * A plain object read by plain functions, not a class, and that is for speed: every VU runs
 * the script's init code (module state is per VU, in k6 and in the built-in engine), so a
 * class here would be a new class per VU, and the shared optimized code of its methods
 * would see one object shape per VU (megamorphic property loads on every message). Objects
 * made by one object literal share one shape across VUs (load/perf/per-vu-classes.ts
 * measures both).
 */
export interface FeedTracker {
  /** Epoch of the last snapshot or reset; '' before the first. */
  epoch: string
  /** `seq` of the last frame seen; -1 before the first. */
  lastSeq: number
  /** Frames seen by this tracker. */
  frames: number
  /** Metric tags: `{ protocol }`. */
  readonly tags: Record<string, string>
  /** Unix ms from which latency counts (after ramp-up). */
  readonly steadyFrom: number
  /** Server time (`t`) before which a frame is a replay of a resumed connection: no latency. */
  replayBefore: number
  /** Unix ms of a planned drop not yet recovered from; 0 when none (feed-drop.ts). */
  droppedAt: number
  /** Decoded SSE headers land here: made on the first base64 message. */
  scratch: Uint8Array | null
  /** A view of {@link FeedTracker.scratch}. */
  scratchView: DataView | null
}

/**
 * A tracker for one connection's feed.
 *
 * @param protocol metric tag value
 * @param steadyFrom unix ms from which latency counts (after ramp-up)
 */
export function createFeedTracker(protocol: string, steadyFrom: number): FeedTracker {
  const tracker: FeedTracker = {
    epoch: '',
    lastSeq: -1,
    frames: 0,
    tags: { protocol },
    steadyFrom,
    replayBefore: 0,
    droppedAt: 0,
    scratch: null,
    scratchView: null,
  }
  feedGaps.add(0, tracker.tags)
  return tracker
}

/**
 * Reads one message starting at `from` in `text` (a whole WebSocket/SSE message, or one
 * element of a poll reply). Returns the message type.
 */
export function readFeedText(
  tracker: FeedTracker,
  text: string,
  receivedAt: number,
  from = 0,
): string {
  // Literals, not the constants above, on the per-message path: every VU has its own copy
  // of this module, and a constant is a load from the VU's module scope (a cache miss when
  // thousands of VUs share a thread); a literal is part of the shared compiled code.
  if (!text.startsWith('{"type":"', from)) return ''
  const typeStart = from + 9
  // startsWith, not slice: no string is allocated for the type of every frame.
  const isFrame = text.startsWith('frame"', typeStart)
  const isSnapshot = !isFrame && text.startsWith('snapshot"', typeStart)
  const typeEnd = typeStart + (isFrame ? 5 : isSnapshot ? 8 : 0)
  if (isFrame || isSnapshot) {
    const seq = readFeedNumber(text, '"seq":', typeEnd)
    const t = readFeedNumber(text, '"t":', typeEnd)
    if (isSnapshot) tracker.epoch = readFeedString(text, EPOCH_KEY, typeEnd)
    return count(tracker, isFrame, seq, t, receivedAt)
  }
  const otherEnd = text.indexOf('"', typeStart)
  const type = text.slice(typeStart, otherEnd)
  if (type === 'reset') {
    feedResets.add(1, tracker.tags)
    tracker.epoch = readFeedString(text, EPOCH_KEY, otherEnd)
    tracker.lastSeq = -1
  }
  return type
}

/**
 * Reads one binary feed message (a binary WebSocket message from `--encoding binary`).
 * Returns the message type, or '' when the bytes are not a frame or snapshot.
 */
export function readFeedBinary(
  tracker: FeedTracker,
  buffer: ArrayBuffer,
  receivedAt: number,
): string {
  if (buffer.byteLength < HEADER_BYTES) return ''
  return readHeader(tracker, new DataView(buffer), buffer.byteLength, receivedAt)
}

/**
 * Reads one SSE event's `data`: JSON text, or the base64 of a binary message (from
 * `--encoding binary`), of which only the header is decoded. Returns the message type.
 */
export function readFeedSseData(tracker: FeedTracker, data: string, receivedAt: number): string {
  // '{': JSON (every encoding's reset, and every message of a JSON feed).
  if (data.charCodeAt(0) === 123) return readFeedText(tracker, data, receivedAt)
  tracker.scratch ??= new Uint8Array(HEADER_BYTES + 255)
  tracker.scratchView ??= new DataView(tracker.scratch.buffer)
  const scratch = tracker.scratch
  let length = decodeBase64Prefix(data, scratch, HEADER_BYTES)
  if (length < HEADER_BYTES) return ''
  if (scratch[OFFSET_KIND] === KIND_SNAPSHOT) {
    // Only a snapshot's epoch is read: decode that far (snapshots are rare).
    const withEpoch = HEADER_BYTES + (scratch[OFFSET_EPOCH_LENGTH] ?? 0)
    length = decodeBase64Prefix(data, scratch, withEpoch)
    if (length < withEpoch) return ''
  }
  return readHeader(tracker, tracker.scratchView, length, receivedAt)
}

/**
 * Reads a poll reply `{"epoch","next","messages":[…]}` and returns its `next` cursor
 * (NaN when the body is not a poll reply).
 */
export function readFeedPollReply(tracker: FeedTracker, body: string, receivedAt: number): number {
  const next = readFeedNumber(body, '"next":', 0)
  const epoch = readFeedString(body, EPOCH_KEY, 0)
  if (epoch !== '') tracker.epoch = epoch
  let at = body.indexOf(TYPE_PREFIX)
  while (at >= 0) {
    readFeedText(tracker, body, receivedAt, at)
    at = body.indexOf(TYPE_PREFIX, at + TYPE_PREFIX.length)
  }
  return next
}

/** Seq, t and (for a snapshot) epoch from a binary header of `length` readable bytes. */
function readHeader(
  tracker: FeedTracker,
  view: DataView,
  length: number,
  receivedAt: number,
): string {
  const kind = view.getUint8(OFFSET_KIND)
  if (kind !== KIND_FRAME && kind !== KIND_SNAPSHOT) return ''
  const seq =
    view.getUint32(OFFSET_SEQ_LOW, true) + view.getUint32(OFFSET_SEQ_HIGH, true) * HIGH_WORD
  const t = view.getFloat64(OFFSET_T, true)
  if (kind === KIND_SNAPSHOT) {
    const end = Math.min(length, HEADER_BYTES + view.getUint8(OFFSET_EPOCH_LENGTH))
    let epoch = ''
    for (let i = HEADER_BYTES; i < end; i++) epoch += String.fromCharCode(view.getUint8(i))
    tracker.epoch = epoch
  }
  return count(tracker, kind === KIND_FRAME, seq, t, receivedAt)
}

/**
 * Counts one frame or snapshot: gaps, the cursor, frames and latency (not of a replay), and
 * the recovery of a planned drop (its first frame after it).
 */
function count(
  tracker: FeedTracker,
  isFrame: boolean,
  seq: number,
  t: number,
  receivedAt: number,
): string {
  const lastSeq = tracker.lastSeq
  if (isFrame && lastSeq >= 0 && seq > lastSeq + 1) feedGaps.add(seq - lastSeq - 1, tracker.tags)
  if (seq > lastSeq) tracker.lastSeq = seq
  tracker.frames++
  feedFrames.add(1, tracker.tags)
  if (receivedAt >= tracker.steadyFrom && t >= tracker.replayBefore) {
    feedLatency.add(receivedAt - t, tracker.tags)
  }
  if (tracker.droppedAt !== 0) {
    // From the drop, or from the frame's making if it was made after the drop: the wait for
    // the feed's next tick is the feed's rate, not the recovery.
    const from = t > tracker.droppedAt ? t : tracker.droppedAt
    feedRecovery.add(receivedAt - from, tracker.tags)
    tracker.droppedAt = 0
  }
  return isFrame ? 'frame' : 'snapshot'
}

/** The resume query `?epoch=…&since=…`, or '' before any frame. */
export function cursorQuery(tracker: FeedTracker): string {
  return tracker.lastSeq >= 0 && tracker.epoch !== ''
    ? `?epoch=${encodeURIComponent(tracker.epoch)}&since=${String(tracker.lastSeq)}`
    : ''
}

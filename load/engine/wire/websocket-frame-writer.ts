/**
 * Builds client-to-server frames (RFC 6455 §5.2–5.3), with no I/O: every frame is masked
 * with a fresh 4-byte key. Keys come from a pool of random bytes filled by
 * `crypto.randomFillSync` 1 KiB at a time, one pool per thread.
 */
import { randomFillSync } from 'node:crypto'
import { MAX_CONTROL_PAYLOAD } from './websocket-constants.ts'

const MASK_POOL = Buffer.allocUnsafeSlow(1024)
let maskOffset = MASK_POOL.length

/** Header length of a masked client frame carrying `length` payload bytes. */
function maskedHeaderLength(length: number): number {
  return (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + 4
}

/**
 * One final, masked frame.
 *
 * @param opcode frame opcode (see `OPCODE`)
 * @param payload a string (sent as UTF-8) or bytes
 * @throws RangeError when a control frame's payload is over 125 bytes.
 */
export function encodeClientFrame(opcode: number, payload: string | Uint8Array): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength
  if (opcode >= 0x8 && length > MAX_CONTROL_PAYLOAD) {
    throw new RangeError(`a control frame carries at most 125 bytes, got ${length}`)
  }
  const headerLength = maskedHeaderLength(length)
  const frame = Buffer.allocUnsafe(headerLength + length)
  frame[0] = 0x80 | opcode
  if (length < 126) {
    frame[1] = 0x80 | length
  } else if (length < 0x10000) {
    frame[1] = 0x80 | 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 0x80 | 127
    frame.writeUInt32BE(Math.floor(length / 0x100000000), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  if (maskOffset + 4 > MASK_POOL.length) {
    randomFillSync(MASK_POOL)
    maskOffset = 0
  }
  const maskAt = headerLength - 4
  MASK_POOL.copy(frame, maskAt, maskOffset, maskOffset + 4)
  maskOffset += 4
  if (typeof payload === 'string') frame.write(payload, headerLength, 'utf8')
  else frame.set(payload, headerLength)
  const m0 = frame[maskAt] ?? 0
  const m1 = frame[maskAt + 1] ?? 0
  const m2 = frame[maskAt + 2] ?? 0
  const m3 = frame[maskAt + 3] ?? 0
  const end = headerLength + length
  let i = headerLength
  for (; i + 3 < end; i += 4) {
    frame[i] = (frame[i] ?? 0) ^ m0
    frame[i + 1] = (frame[i + 1] ?? 0) ^ m1
    frame[i + 2] = (frame[i + 2] ?? 0) ^ m2
    frame[i + 3] = (frame[i + 3] ?? 0) ^ m3
  }
  for (let k = 0; i < end; i++, k++) {
    frame[i] = (frame[i] ?? 0) ^ (k === 0 ? m0 : k === 1 ? m1 : m2)
  }
  return frame
}

/**
 * The payload of a close frame: the code, then the reason in UTF-8.
 *
 * @throws RangeError when the reason is over 123 bytes.
 */
export function closePayload(code: number, reason: string): Buffer {
  const reasonLength = Buffer.byteLength(reason)
  if (reasonLength > MAX_CONTROL_PAYLOAD - 2) {
    throw new RangeError(`a close reason is at most 123 bytes of UTF-8, got ${reasonLength}`)
  }
  const payload = Buffer.allocUnsafe(2 + reasonLength)
  payload.writeUInt16BE(code, 0)
  payload.write(reason, 2, 'utf8')
  return payload
}

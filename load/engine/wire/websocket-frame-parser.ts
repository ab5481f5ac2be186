/**
 * RFC 6455 frame parser for the client side, with no I/O: bytes in (any split, down to one
 * byte per call), whole messages and control frames out.
 *
 * A frame that lies whole inside the bytes given is handed on as a range of that same
 * buffer (no copy): the caller decodes it before the buffer is reused. Only a frame split
 * across calls, or a fragmented message, is copied into a buffer of this parser, allocated
 * for that message and dropped after it.
 */
import { isUtf8 } from 'node:buffer'
import {
  CLOSE_CODE,
  MAX_CONTROL_PAYLOAD,
  OPCODE,
  WEBSOCKET_CLIENT_DEFAULTS,
  isValidWireCloseCode,
} from './websocket-constants.ts'

/** What the parser reports. Ranges are valid only during the call. */
export interface FrameParserEvents {
  /** A whole (possibly reassembled) text or binary message in `bytes[start, end)`. */
  onMessage(binary: boolean, bytes: Buffer, start: number, end: number): void
  /** A ping; its application data in `bytes[start, end)`. */
  onPing(bytes: Buffer, start: number, end: number): void
  /** A pong; its application data in `bytes[start, end)`. */
  onPong(bytes: Buffer, start: number, end: number): void
  /** A close frame (`code` 1005 when it carried none). The parser reads nothing after it. */
  onClose(code: number, reason: string): void
  /**
   * The peer broke the protocol: `code` is the close code to answer with (1002, 1007 or
   * 1009). The parser reads nothing after it.
   */
  onProtocolError(code: number, message: string): void
}

/** Longest frame header the server may send (2 + 8 length bytes; server frames carry no mask). */
const MAX_HEADER = 10

/** Parses one connection's server-to-client frames. */
export class WebSocketFrameParser {
  readonly #events: FrameParserEvents
  readonly #maxPayload: number
  /** True after a close frame or a protocol error: later bytes are ignored. */
  #stopped = false
  /** A header split across calls, and how much of it has arrived. */
  #header: Buffer | undefined
  #headerFill = 0
  /** The frame whose payload is arriving in pieces (`remaining` > 0 or just finished). */
  #inPayload = false
  #fin = false
  #opcode = 0
  #remaining = 0
  /** Opcode of the fragmented message in progress (0: none). */
  #fragmentOpcode = 0
  /** Payload of the data message being assembled, and its length so far. */
  #message: Buffer | undefined
  #messageLength = 0
  /** Payload of a control frame split across calls. */
  #control: Buffer | undefined
  #controlLength = 0

  /**
   * @param events where frames go
   * @param maxPayload largest message in bytes; default
   *   {@link WEBSOCKET_CLIENT_DEFAULTS}.maxPayload (100 MiB)
   */
  constructor(events: FrameParserEvents, maxPayload = WEBSOCKET_CLIENT_DEFAULTS.maxPayload) {
    this.#events = events
    this.#maxPayload = maxPayload
  }

  /** Stops reading: later bytes are ignored (the socket was dropped). */
  stop(): void {
    this.#stopped = true
  }

  /** Parses `bytes[start, end)`. */
  push(bytes: Buffer, start: number, end: number): void {
    let pos = start
    while (pos < end && !this.#stopped) {
      if (this.#inPayload) {
        pos = this.#readPayload(bytes, pos, end)
        continue
      }
      if (this.#headerFill > 0) {
        pos = this.#readSplitHeader(bytes, pos, end)
        continue
      }
      const available = end - pos
      const b1 = available >= 2 ? (bytes[pos + 1] ?? 0) : 0
      const headerLength = available < 2 ? MAX_HEADER + 1 : headerLengthOf(b1)
      if (available < headerLength) {
        if (available >= 2 && (b1 & 0x80) !== 0) {
          this.#fail(CLOSE_CODE.protocolError, 'the server sent a masked frame')
          return
        }
        this.#header ??= Buffer.alloc(MAX_HEADER)
        bytes.copy(this.#header, 0, pos, end)
        this.#headerFill = available
        return
      }
      const length = payloadLengthOf(bytes, pos, b1)
      if (!this.#beginFrame(bytes[pos] ?? 0, b1, length)) return
      pos += headerLength
      if (end - pos >= length) {
        // The common case: the whole frame is in this read.
        this.#wholeFrame(bytes, pos, pos + length)
        pos += length
      } else {
        this.#startPayload(length)
      }
    }
  }

  /** Completes a header begun in an earlier call; returns the new position. */
  #readSplitHeader(bytes: Buffer, start: number, end: number): number {
    const header = this.#header ?? Buffer.alloc(MAX_HEADER)
    this.#header = header
    let pos = start
    if (this.#headerFill < 2) header[this.#headerFill++] = bytes[pos++] ?? 0
    if (this.#headerFill < 2) return pos
    const b1 = header[1] ?? 0
    if ((b1 & 0x80) !== 0) {
      this.#fail(CLOSE_CODE.protocolError, 'the server sent a masked frame')
      return end
    }
    const headerLength = headerLengthOf(b1)
    const take = Math.min(headerLength - this.#headerFill, end - pos)
    bytes.copy(header, this.#headerFill, pos, pos + take)
    this.#headerFill += take
    pos += take
    if (this.#headerFill < headerLength) return pos
    this.#headerFill = 0
    const length = payloadLengthOf(header, 0, b1)
    if (!this.#beginFrame(header[0] ?? 0, b1, length)) return end
    if (length === 0) this.#wholeFrame(header, 0, 0)
    else this.#startPayload(length)
    return pos
  }

  /** Checks a frame header; false (after reporting) when it breaks the protocol. */
  #beginFrame(b0: number, b1: number, length: number): boolean {
    const fin = (b0 & 0x80) !== 0
    const opcode = b0 & 0x0f
    if ((b0 & 0x70) !== 0) {
      return this.#fail(CLOSE_CODE.protocolError, 'RSV bits set but no extension was negotiated')
    }
    if ((b1 & 0x80) !== 0)
      return this.#fail(CLOSE_CODE.protocolError, 'the server sent a masked frame')
    if (Number.isNaN(length)) {
      return this.#fail(
        CLOSE_CODE.protocolError,
        'the most significant bit of a 64-bit length is set',
      )
    }
    switch (opcode) {
      case OPCODE.continuation:
        if (this.#fragmentOpcode === 0) {
          return this.#fail(
            CLOSE_CODE.protocolError,
            'a continuation frame with no message to continue',
          )
        }
        break
      case OPCODE.text:
      case OPCODE.binary:
        if (this.#fragmentOpcode !== 0) {
          return this.#fail(
            CLOSE_CODE.protocolError,
            'a new data frame before the fragmented message was finished',
          )
        }
        break
      case OPCODE.close:
      case OPCODE.ping:
      case OPCODE.pong:
        if (!fin) return this.#fail(CLOSE_CODE.protocolError, 'a fragmented control frame')
        if (length > MAX_CONTROL_PAYLOAD) {
          return this.#fail(CLOSE_CODE.protocolError, 'a control frame longer than 125 bytes')
        }
        break
      default:
        return this.#fail(CLOSE_CODE.protocolError, `invalid opcode ${opcode}`)
    }
    if (opcode < OPCODE.close && this.#messageLength + length > this.#maxPayload) {
      return this.#fail(
        CLOSE_CODE.messageTooBig,
        `a message longer than the ${this.#maxPayload}-byte limit`,
      )
    }
    this.#fin = fin
    this.#opcode = opcode
    return true
  }

  /** Handles a frame whose payload is all in `bytes[start, end)`. */
  #wholeFrame(bytes: Buffer, start: number, end: number): void {
    const opcode = this.#opcode
    if (opcode >= OPCODE.close) {
      this.#controlFrame(bytes, start, end)
      return
    }
    if (this.#fin && opcode !== OPCODE.continuation) {
      this.#events.onMessage(opcode === OPCODE.binary, bytes, start, end)
      return
    }
    if (opcode !== OPCODE.continuation) this.#fragmentOpcode = opcode
    this.#reserve(end - start)
    const message = this.#message
    if (message !== undefined) bytes.copy(message, this.#messageLength, start, end)
    this.#messageLength += end - start
    if (this.#fin) this.#deliverAssembled()
  }

  /** Starts a frame whose payload continues in later calls. */
  #startPayload(length: number): void {
    this.#inPayload = true
    this.#remaining = length
    if (this.#opcode >= OPCODE.close) {
      this.#control ??= Buffer.alloc(MAX_CONTROL_PAYLOAD)
      this.#controlLength = 0
      return
    }
    if (this.#opcode !== OPCODE.continuation) this.#fragmentOpcode = this.#opcode
    this.#reserve(length)
  }

  /** Copies the next piece of a split payload; returns the new position. */
  #readPayload(bytes: Buffer, start: number, end: number): number {
    const take = Math.min(this.#remaining, end - start)
    if (this.#opcode >= OPCODE.close) {
      const control = this.#control ?? Buffer.alloc(MAX_CONTROL_PAYLOAD)
      this.#control = control
      bytes.copy(control, this.#controlLength, start, start + take)
      this.#controlLength += take
    } else if (this.#message !== undefined) {
      bytes.copy(this.#message, this.#messageLength, start, start + take)
      this.#messageLength += take
    }
    this.#remaining -= take
    if (this.#remaining === 0) {
      this.#inPayload = false
      if (this.#opcode >= OPCODE.close) {
        this.#controlFrame(this.#control ?? Buffer.alloc(0), 0, this.#controlLength)
      } else if (this.#fin) {
        this.#deliverAssembled()
      }
    }
    return start + take
  }

  /** Makes room for `more` bytes of the message being assembled. */
  #reserve(more: number): void {
    const needed = this.#messageLength + more
    const message = this.#message
    if (message !== undefined && message.length >= needed) return
    const bigger = Buffer.allocUnsafe(
      Math.min(this.#maxPayload, Math.max(needed, (message?.length ?? 0) * 2, 256)),
    )
    if (message !== undefined) message.copy(bigger, 0, 0, this.#messageLength)
    this.#message = bigger
  }

  /** Hands on the assembled message and drops its buffer. */
  #deliverAssembled(): void {
    const message = this.#message ?? Buffer.alloc(0)
    const length = this.#messageLength
    const binary = this.#fragmentOpcode === OPCODE.binary
    this.#message = undefined
    this.#messageLength = 0
    this.#fragmentOpcode = 0
    this.#events.onMessage(binary, message, 0, length)
  }

  #controlFrame(bytes: Buffer, start: number, end: number): void {
    switch (this.#opcode) {
      case OPCODE.ping:
        this.#events.onPing(bytes, start, end)
        return
      case OPCODE.pong:
        this.#events.onPong(bytes, start, end)
        return
      default:
        this.#closeFrame(bytes, start, end)
    }
  }

  #closeFrame(bytes: Buffer, start: number, end: number): void {
    const length = end - start
    if (length === 0) {
      this.#stopped = true
      this.#events.onClose(CLOSE_CODE.noStatus, '')
      return
    }
    if (length === 1) {
      this.#fail(CLOSE_CODE.protocolError, 'a close frame with a 1-byte payload')
      return
    }
    const code = bytes.readUInt16BE(start)
    if (!isValidWireCloseCode(code)) {
      this.#fail(CLOSE_CODE.protocolError, `invalid close code ${code}`)
      return
    }
    const reason = bytes.subarray(start + 2, end)
    if (!isUtf8Text(reason)) {
      this.#fail(CLOSE_CODE.invalidPayload, 'a close reason that is not valid UTF-8')
      return
    }
    this.#stopped = true
    this.#events.onClose(code, reason.toString('utf8'))
  }

  #fail(code: number, message: string): false {
    this.#stopped = true
    this.#events.onProtocolError(code, message)
    return false
  }
}

/** Header length from the second byte: 2, 4 (16-bit length) or 10 (64-bit length). */
function headerLengthOf(b1: number): number {
  const short = b1 & 0x7f
  return short < 126 ? 2 : short === 126 ? 4 : 10
}

/** Payload length of the header at `bytes[pos]`; NaN when a 64-bit length has its top bit set. */
function payloadLengthOf(bytes: Buffer, pos: number, b1: number): number {
  const short = b1 & 0x7f
  if (short < 126) return short
  if (short === 126) return bytes.readUInt16BE(pos + 2)
  const high = bytes.readUInt32BE(pos + 2)
  if (high >= 0x80000000) return NaN
  return high * 0x100000000 + bytes.readUInt32BE(pos + 6)
}

function isUtf8Text(bytes: Buffer): boolean {
  return bytes.length === 0 || isUtf8(bytes)
}

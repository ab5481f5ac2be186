/**
 * A WebSocket peer on a raw TCP socket, for sending what no well-behaved client library
 * would send: reserved bits, unknown opcodes, unmasked or fragmented control frames,
 * invalid UTF-8, bad close codes. Used by the RFC 6455 conformance tests.
 */
import { createHash, randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

/** The GUID of RFC 6455 §1.3, appended to the key before hashing. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** Opcodes of RFC 6455 §5.2. */
export const Opcode = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const

/** What goes into one frame; every field can be set to a value the RFC forbids. */
export interface FrameSpec {
  opcode: number
  payload?: Buffer | string
  /** Default true. */
  fin?: boolean
  /** RSV1..RSV3 as a 3-bit number (RSV1 = 4). Default 0. */
  rsv?: number
  /** Default true: clients must mask. */
  mask?: boolean
}

/** Builds one frame, masked with a random key unless `mask: false`. */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload =
    typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0))
  const fin = spec.fin ?? true
  const mask = spec.mask ?? true
  const length = payload.length
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0))
  header[0] = (fin ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | (spec.opcode & 0x0f)
  const lengthCode = lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127
  header[1] = (mask ? 0x80 : 0) | lengthCode
  if (lengthBytes === 2) header.writeUInt16BE(length, 2)
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2)
  if (!mask) return Buffer.concat([header, payload])
  const key = randomBytes(4)
  key.copy(header, 2 + lengthBytes)
  const masked = Buffer.alloc(length)
  for (let i = 0; i < length; i++) masked[i] = (payload[i] ?? 0) ^ (key[i % 4] ?? 0)
  return Buffer.concat([header, masked])
}

/** A close frame's payload: a 2-byte code and an optional reason. */
export function closePayload(code: number, reason: Buffer | string = ''): Buffer {
  const head = Buffer.alloc(2)
  head.writeUInt16BE(code)
  return Buffer.concat([head, typeof reason === 'string' ? Buffer.from(reason) : reason])
}

/** One frame as the server sent it. */
export interface ReceivedFrame {
  fin: boolean
  rsv: number
  opcode: number
  masked: boolean
  payload: Buffer
}

/** The accept value a server must answer for `key` (RFC 6455 §4.2.2). */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + HANDSHAKE_GUID)
    .digest('base64')
}

/** A connected raw peer after a successful opening handshake. */
export class RawWebSocket {
  readonly #socket: Socket
  readonly #frames: ReceivedFrame[] = []
  readonly #waiters = new Set<() => void>()
  #buffer: Buffer = Buffer.alloc(0)
  #ended = false

  private constructor(socket: Socket, rest: Buffer) {
    this.#socket = socket
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk])
      this.#parse()
    })
    const end = (): void => {
      this.#ended = true
      this.#wake()
    }
    socket.on('close', end)
    socket.on('end', end)
    socket.on('error', end)
    if (rest.length > 0) {
      this.#buffer = rest
      this.#parse()
    }
  }

  /**
   * Opens a TCP connection to `url` (http: scheme, path included) and performs the
   * opening handshake; rejects with the status line when the server refuses.
   */
  static async open(url: string, headers: Record<string, string> = {}): Promise<RawWebSocket> {
    const target = new URL(url)
    const key = randomBytes(16).toString('base64')
    const socket = connect(Number(target.port), target.hostname)
    socket.setNoDelay(true)
    const request = [
      `GET ${target.pathname}${target.search} HTTP/1.1`,
      `Host: ${target.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      '',
      '',
    ].join('\r\n')
    socket.write(request)
    const { head, rest } = await readHead(socket)
    const statusLine = head.split('\r\n')[0] ?? ''
    if (!statusLine.includes(' 101 ')) {
      socket.destroy()
      throw new Error(`handshake refused: ${statusLine}`)
    }
    const accept = /^sec-websocket-accept:\s*(\S+)/im.exec(head)?.[1]
    if (accept !== acceptFor(key)) {
      socket.destroy()
      throw new Error(`bad Sec-WebSocket-Accept: ${String(accept)}`)
    }
    return new RawWebSocket(socket, rest)
  }

  /** Writes raw bytes: one or more frames, or garbage. */
  write(bytes: Buffer): void {
    this.#socket.write(bytes)
  }

  /** Writes frames built from specs. */
  send(...specs: FrameSpec[]): void {
    this.write(Buffer.concat(specs.map(encodeFrame)))
  }

  /**
   * Resolves with the first frame (received so far or later) that matches, removing it;
   * resolves null when the connection ends or `timeoutMs` passes first.
   */
  async next(
    match: (frame: ReceivedFrame) => boolean,
    timeoutMs = 3_000,
  ): Promise<ReceivedFrame | null> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.#frames.findIndex(match)
      if (index >= 0) return this.#frames.splice(index, 1)[0] ?? null
      const remaining = deadline - Date.now()
      if (this.#ended || remaining <= 0) return null
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining)
        function done(): void {
          clearTimeout(timer)
          resolve()
        }
        this.#waiters.add(() => {
          done()
        })
      })
    }
  }

  /** The server's close frame as `{ code, reason }`, or null when none came in time. */
  async closeFrame(timeoutMs = 3_000): Promise<{ code: number; reason: string } | null> {
    const frame = await this.next((f) => f.opcode === Opcode.close, timeoutMs)
    if (frame === null) return null
    if (frame.payload.length < 2) return { code: 1005, reason: '' }
    return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString() }
  }

  /** Resolves true once the TCP connection has ended, false if it is still open after `timeoutMs`. */
  async ended(timeoutMs = 3_000): Promise<boolean> {
    await this.next(() => false, timeoutMs)
    return this.#ended
  }

  /** Forgets every frame received so far, so that the next match is a fresh one. */
  discard(): void {
    this.#frames.length = 0
  }

  /** Drops the TCP connection without a close handshake. */
  destroy(): void {
    this.#socket.destroy()
  }

  #wake(): void {
    const waiters = [...this.#waiters]
    this.#waiters.clear()
    for (const wake of waiters) wake()
  }

  #parse(): void {
    for (;;) {
      const frame = decodeFrame(this.#buffer)
      if (frame === null) break
      this.#buffer = this.#buffer.subarray(frame.size)
      this.#frames.push(frame.frame)
    }
    this.#wake()
  }
}

/** Decodes one frame from the start of `bytes`, or null when more bytes are needed. */
function decodeFrame(bytes: Buffer): { frame: ReceivedFrame; size: number } | null {
  if (bytes.length < 2) return null
  const b0 = bytes[0] ?? 0
  const b1 = bytes[1] ?? 0
  let length = b1 & 0x7f
  let offset = 2
  if (length === 126) {
    if (bytes.length < 4) return null
    length = bytes.readUInt16BE(2)
    offset = 4
  } else if (length === 127) {
    if (bytes.length < 10) return null
    length = Number(bytes.readBigUInt64BE(2))
    offset = 10
  }
  const masked = (b1 & 0x80) !== 0
  const keyOffset = offset
  if (masked) offset += 4
  if (bytes.length < offset + length) return null
  let payload = Buffer.from(bytes.subarray(offset, offset + length))
  if (masked) {
    const key = bytes.subarray(keyOffset, keyOffset + 4)
    payload = Buffer.from(payload.map((byte, i) => byte ^ (key[i % 4] ?? 0)))
  }
  return {
    frame: { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 0x7, opcode: b0 & 0x0f, masked, payload },
    size: offset + length,
  }
}

/** Reads the HTTP response head; returns it and whatever bytes followed it. */
async function readHead(socket: Socket): Promise<{ head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0)
    const timer = setTimeout(() => {
      fail(new Error('no handshake response within 5 s'))
    }, 5_000)
    function cleanup(): void {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('error', fail)
      socket.off('close', onClose)
    }
    function fail(error: Error): void {
      cleanup()
      reject(error)
    }
    function onClose(): void {
      fail(new Error(`connection closed during handshake: ${received.toString()}`))
    }
    function onData(chunk: Buffer): void {
      received = Buffer.concat([received, chunk])
      const end = received.indexOf('\r\n\r\n')
      if (end < 0) return
      cleanup()
      resolve({
        head: received.subarray(0, end).toString('latin1'),
        rest: received.subarray(end + 4),
      })
    }
    socket.on('data', onData)
    socket.on('error', fail)
    socket.on('close', onClose)
  })
}

/**
 * Sends a raw HTTP request and resolves with the status code of the answer, or null when
 * the server closed without one. For handshake-abuse cases.
 */
export async function rawRequest(url: string, request: string): Promise<number | null> {
  const target = new URL(url)
  const socket = connect(Number(target.port), target.hostname)
  socket.write(request)
  try {
    const { head } = await readHead(socket)
    const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]
    return status === undefined ? null : Number(status)
  } catch {
    return null
  } finally {
    socket.destroy()
  }
}

/**
 * Test support for the lean WebSocket client: server-to-client frames built by hand, a
 * decoder for the client's masked frames, and a raw `net` server that completes the opening
 * handshake (or answers whatever head a test gives it) and then exposes the raw socket.
 * Used only by the `websocket-*.test.ts` files.
 */
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { expectedAccept } from './websocket-handshake.ts'

/** An unmasked server frame; `mask` makes it masked (a protocol violation a test provokes). */
export function serverFrame(
  opcode: number,
  payload: Uint8Array | string,
  options: { fin?: boolean; mask?: boolean; rsv?: number } = {},
): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload)
  const length = body.length
  const lengthBytes = length < 126 ? 0 : length < 0x10000 ? 2 : 8
  const maskBytes = options.mask === true ? 4 : 0
  const frame = Buffer.alloc(2 + lengthBytes + maskBytes + length)
  frame[0] = (options.fin === false ? 0 : 0x80) | ((options.rsv ?? 0) << 4) | opcode
  const maskBit = options.mask === true ? 0x80 : 0
  if (lengthBytes === 0) frame[1] = maskBit | length
  else if (lengthBytes === 2) {
    frame[1] = maskBit | 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = maskBit | 127
    frame.writeBigUInt64BE(BigInt(length), 2)
  }
  const at = 2 + lengthBytes + maskBytes
  body.copy(frame, at)
  if (options.mask === true) {
    const key = [0x12, 0x34, 0x56, 0x78]
    for (let i = 0; i < 4; i++) frame[2 + lengthBytes + i] = key[i] ?? 0
    for (let i = 0; i < length; i++) frame[at + i] = (body[i] ?? 0) ^ (key[i % 4] ?? 0)
  }
  return frame
}

/** One frame the client sent, unmasked. */
export interface ClientFrame {
  fin: boolean
  opcode: number
  masked: boolean
  payload: Buffer
}

/** Decodes every whole client frame in `bytes`; returns them and the bytes left over. */
export function decodeClientFrames(bytes: Buffer): { frames: ClientFrame[]; rest: Buffer } {
  const frames: ClientFrame[] = []
  let pos = 0
  for (;;) {
    if (bytes.length - pos < 2) break
    const b0 = bytes[pos] ?? 0
    const b1 = bytes[pos + 1] ?? 0
    const masked = (b1 & 0x80) !== 0
    let length = b1 & 0x7f
    let at = pos + 2
    if (length === 126) {
      if (bytes.length < at + 2) break
      length = bytes.readUInt16BE(at)
      at += 2
    } else if (length === 127) {
      if (bytes.length < at + 8) break
      length = Number(bytes.readBigUInt64BE(at))
      at += 8
    }
    const key = masked ? bytes.subarray(at, at + 4) : undefined
    if (masked) at += 4
    if (bytes.length < at + length) break
    const payload = Buffer.from(bytes.subarray(at, at + length))
    if (key !== undefined)
      for (let i = 0; i < length; i++) payload[i] = (payload[i] ?? 0) ^ (key[i % 4] ?? 0)
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, masked, payload })
    pos = at + length
  }
  return { frames, rest: bytes.subarray(pos) }
}

/** A connection accepted by {@link RawWebSocketServer}. */
export interface RawConnection {
  socket: Socket
  /** The request head the client sent. */
  requestHead: string
  /** Frames the client has sent so far (decoded as they arrive). */
  frames: ClientFrame[]
  /** Resolves with the first client frame of `opcode`. */
  nextFrame(opcode: number): Promise<ClientFrame>
}

/**
 * A `net` server speaking just enough WebSocket for tests: it reads the request head, then
 * writes `respond(head)` — by default a correct 101 response — and hands the connection to
 * the test.
 */
export class RawWebSocketServer {
  readonly connections: RawConnection[] = []
  readonly #server: Server
  #waiting: ((connection: RawConnection) => void)[] = []

  constructor(respond: (requestHead: string) => string = acceptingResponse) {
    this.#server = createServer((socket) => {
      socket.setNoDelay(true)
      let head = Buffer.alloc(0)
      let connection: RawConnection | undefined
      let pending = Buffer.alloc(0)
      const listeners: { opcode: number; resolve: (frame: ClientFrame) => void }[] = []
      socket.on('data', (chunk: Buffer) => {
        if (connection === undefined) {
          head = Buffer.concat([head, chunk])
          const end = head.indexOf('\r\n\r\n')
          if (end < 0) return
          const requestHead = head.toString('latin1', 0, end)
          pending = head.subarray(end + 4)
          const frames: ClientFrame[] = []
          connection = {
            socket,
            requestHead,
            frames,
            nextFrame(opcode) {
              const seen = frames.find((frame) => frame.opcode === opcode)
              if (seen !== undefined) return Promise.resolve(seen)
              return new Promise((resolve) => listeners.push({ opcode, resolve }))
            },
          }
          socket.write(respond(requestHead), 'latin1')
          this.connections.push(connection)
          for (const resolve of this.#waiting) resolve(connection)
          this.#waiting = []
        } else {
          pending = Buffer.concat([pending, chunk])
        }
        const decoded = decodeClientFrames(pending)
        pending = Buffer.from(decoded.rest)
        for (const frame of decoded.frames) {
          connection.frames.push(frame)
          for (const listener of listeners.filter((l) => l.opcode === frame.opcode)) {
            listener.resolve(frame)
            listeners.splice(listeners.indexOf(listener), 1)
          }
        }
      })
      socket.on('error', () => {
        // The client may drop the connection mid-test; the test asserts on its events.
      })
    })
  }

  /** Listens on 127.0.0.1, port 0; resolves with the `ws://` URL. */
  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve))
    return `ws://127.0.0.1:${String((this.#server.address() as AddressInfo).port)}/ws`
  }

  /** Resolves with the next accepted (handshaken) connection. */
  nextConnection(): Promise<RawConnection> {
    return new Promise((resolve) => this.#waiting.push(resolve))
  }

  /** Closes the server and every connection. */
  async close(): Promise<void> {
    for (const connection of this.connections) connection.socket.destroy()
    await new Promise<void>((resolve) =>
      this.#server.close(() => {
        resolve()
      }),
    )
  }
}

/** The header value of `name` in a request head ('' when absent). */
export function headerOf(requestHead: string, name: string): string {
  const line = requestHead
    .split('\r\n')
    .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
  return line === undefined ? '' : line.slice(line.indexOf(':') + 1).trim()
}

/** A correct 101 response to `requestHead`. */
export function acceptingResponse(requestHead: string): string {
  const key = headerOf(requestHead, 'sec-websocket-key')
  return (
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${expectedAccept(key)}\r\n\r\n`
  )
}

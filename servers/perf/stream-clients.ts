/**
 * Bare streaming clients for the benchmarks: raw TCP sockets that send `GET /sse` (or a
 * WebSocket upgrade of `GET /ws`) and count the feed frames in what arrives, with no
 * parsing beyond that, so the load process stays cheap and every measured cost is the
 * server's. Server-to-client WebSocket frames are unmasked, so JSON frames are readable as
 * they arrive.
 */
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'
import type { Load } from './measure.ts'

const FRAME_MARK = Buffer.from('"type":"frame"')

/** Which stream to open. */
export type StreamKind = 'sse' | 'websocket'

const REQUESTS: Readonly<Record<StreamKind, (host: string) => string>> = {
  sse: (host) => `GET /sse HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\n\r\n`,
  websocket: (host) =>
    `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
}
const ACCEPTED: Readonly<Record<StreamKind, string>> = {
  sse: 'HTTP/1.1 200',
  websocket: 'HTTP/1.1 101',
}

/** Open `count` streams to `url` over `rampMs`; resolves when all have their headers. */
export async function openStreamClients(
  kind: StreamKind,
  url: string,
  count: number,
  rampMs: number,
): Promise<Load> {
  const { hostname, port } = new URL(url)
  const sockets: Socket[] = []
  let frames = 0
  let faults = 0
  let closed = false
  let pending = count
  let ready: () => void = () => undefined
  const allReady = new Promise<void>((resolve) => {
    ready = resolve
  })
  const open = (): void => {
    const socket = connect({ host: hostname, port: Number(port) })
    sockets.push(socket)
    let headers = true
    socket.on('connect', () => {
      socket.write(REQUESTS[kind](hostname))
    })
    socket.on('data', (chunk: Buffer) => {
      if (headers) {
        headers = false
        if (!chunk.subarray(0, 12).toString().startsWith(ACCEPTED[kind])) faults++
        if (--pending === 0) ready()
      }
      // A mark split over two reads is missed: rare, and the server-side count is exact.
      for (let at = chunk.indexOf(FRAME_MARK); at !== -1; at = chunk.indexOf(FRAME_MARK, at + 1)) {
        frames++
      }
    })
    socket.on('error', () => {
      faults++
    })
    socket.on('close', () => {
      if (!closed) faults++
      if (headers) {
        headers = false
        if (--pending === 0) ready()
      }
    })
  }
  for (let i = 0; i < count; i++) setTimeout(open, (rampMs * i) / count)
  await allReady
  return {
    done: () => frames,
    faults: () => faults,
    close: () => {
      closed = true
      for (const socket of sockets) socket.destroy()
    },
  }
}

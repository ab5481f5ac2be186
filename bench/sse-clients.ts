/**
 * Bare SSE clients for the benchmarks: raw TCP sockets that send `GET /sse` and count the
 * feed frames in what arrives, with no parsing beyond that, so the load process stays
 * cheap and every measured cost is the server's.
 */
import { connect, type Socket } from 'node:net'
import type { Load } from './measure.ts'

const FRAME_MARK = Buffer.from('"type":"frame"')

/** Open `count` SSE streams to `url` over `rampMs`; resolves when all have their headers. */
export async function openSseClients(url: string, count: number, rampMs: number): Promise<Load> {
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
      socket.write(`GET /sse HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\n\r\n`)
    })
    socket.on('data', (chunk: Buffer) => {
      if (headers) {
        headers = false
        if (!chunk.subarray(0, 12).toString().startsWith('HTTP/1.1 200')) faults++
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

/**
 * Bare streaming clients for the server micro-benchmarks: the engine's own wire clients
 * without k6 around them — `openSseStream` (`load/engine/wire/sse-stream.ts`) on `GET /sse`
 * and `LeanWebSocket` (`load/engine/wire/websocket-client.ts`) on `GET /ws` — counting the
 * feed frames they receive and nothing more, so the load process stays cheap and every
 * measured cost is the server's.
 */
import {
  openSseStream,
  type SseStream,
  type SseStreamHandler,
} from '../../load/engine/wire/sse-stream.ts'
import { LeanWebSocket, type WebSocketEvents } from '../../load/engine/wire/websocket-client.ts'
import type { Load } from './measure.ts'

const FRAME_PREFIX = '{"type":"frame"'

/** Which stream to open. */
export type StreamKind = 'sse' | 'websocket'

/** The running counts every client of one load shares. */
interface Counts {
  frames: number
  faults: number
  /** Clients whose stream has opened or failed. */
  settled: number
  closing: boolean
}

/** The handler of one SSE client: it settles once, at its head or at its end. */
function sseHandler(counts: Counts, settle: () => void): SseStreamHandler {
  let settled = false
  return {
    onHead(status) {
      if (status !== 200) counts.faults++
      settled = true
      settle()
    },
    onEvent(event) {
      if (event.data.startsWith(FRAME_PREFIX)) counts.frames++
    },
    onBytes: () => undefined,
    onClose(failure) {
      if (!counts.closing || failure !== undefined) counts.faults++
      if (!settled) {
        settled = true
        settle()
      }
    },
  }
}

/** The events of one WebSocket client: it settles once, when it opens or ends. */
function websocketEvents(counts: Counts, settle: () => void): WebSocketEvents {
  let settled = false
  let failed = false
  const settleOnce = (): void => {
    if (settled) return
    settled = true
    settle()
  }
  return {
    onOpen: settleOnce,
    onText(text) {
      if (text.startsWith(FRAME_PREFIX)) counts.frames++
    },
    onBinary: () => undefined,
    onPing: () => undefined,
    onPong: () => undefined,
    onError: () => {
      failed = true
      counts.faults++
    },
    onClose() {
      // A close the load did not ask for is a fault, counted once with its error if any.
      if (!counts.closing && !failed) counts.faults++
      settleOnce()
    },
    onBytesReceived: () => undefined,
    onBytesSent: () => undefined,
  }
}

/** Open `count` streams to `url` over `rampMs`; resolves when every one has opened or failed. */
export async function openStreamClients(
  kind: StreamKind,
  url: string,
  count: number,
  rampMs: number,
): Promise<Load> {
  const counts: Counts = { frames: 0, faults: 0, settled: 0, closing: false }
  const streams: (SseStream | LeanWebSocket)[] = []
  let ready: () => void = () => undefined
  const allReady = new Promise<void>((resolve) => {
    ready = resolve
  })
  const settle = (): void => {
    if (++counts.settled === count) ready()
  }
  const request = { method: 'GET', headers: { Accept: 'text/event-stream' } }
  const websocketUrl = `${url.replace(/^http/, 'ws')}/ws`
  const open =
    kind === 'sse'
      ? () => openSseStream(`${url}/sse`, request, sseHandler(counts, settle))
      : () => new LeanWebSocket(websocketUrl, websocketEvents(counts, settle))
  for (let i = 0; i < count; i++)
    setTimeout(
      () => {
        streams.push(open())
      },
      (rampMs * i) / count,
    )
  await allReady
  return {
    done: () => counts.frames,
    faults: () => counts.faults,
    close: () => {
      counts.closing = true
      for (const stream of streams) {
        if (stream instanceof LeanWebSocket) stream.terminate()
        else stream.close()
      }
    },
  }
}

/**
 * WebSocket: one VU holds one `GET /ws` connection for the whole test and measures every
 * frame. A dropped connection resumes with `?epoch=&since=`, so frames are never lost.
 * Works against either `--encoding`: JSON text messages and binary ones are both read.
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 -e VUS=100 -e RAMP=5s -e HOLD=20s load/scenarios/websocket.ts
 */
import { WebSocket } from 'k6/websockets'
import { setTimeout, clearTimeout } from 'k6/timers'
import { feedConnect } from '../lib/feed-metrics.ts'
import { baseUrl, connectionPlan, feedOptions, wait } from '../lib/feed-options.ts'
import {
  createFeedTracker,
  cursorQuery,
  readFeedBinary,
  readFeedText,
  type FeedTracker,
} from '../lib/feed-reader.ts'

const PROTOCOL = 'websocket'
const TAGS = { protocol: PROTOCOL }
const WS_URL = `${baseUrl.replace(/^http/, 'ws')}/ws`

/** k6 options: ramping-vus to `VUS`, thresholds on latency and gaps. */
export const options = feedOptions(PROTOCOL)

/** Opens one socket and resolves when it closes (at `until` or when the server drops it). */
function connectOnce(tracker: FeedTracker, until: number): Promise<void> {
  return new Promise((resolve) => {
    openSocket(tracker, until, resolve)
  })
}

/**
 * The socket of {@link connectOnce}. Its own function, not the promise's executor, so that
 * the message handler's scope is one step from the module's: every scope between them is
 * one more object per VU that each message reads (a cache miss with thousands of VUs).
 */
function openSocket(tracker: FeedTracker, until: number, resolve: () => void): void {
  const openedAt = Date.now()
  let connected = false
  const socket = new WebSocket(WS_URL + cursorQuery(tracker))
  // A server with --encoding binary sends frames as binary messages: read them as ArrayBuffers.
  socket.binaryType = 'arraybuffer'
  const closer = setTimeout(() => {
    socket.close(1000)
  }, until - openedAt)
  socket.onmessage = (event) => {
    const now = Date.now()
    if (event === undefined) return
    const data: unknown = event.data
    if (!connected) {
      connected = true
      feedConnect.add(now - openedAt, TAGS)
    }
    // The encoding is learned from each message: text is JSON, binary the binary layout.
    if (typeof data === 'string') readFeedText(tracker, data, now)
    else if (data instanceof ArrayBuffer) readFeedBinary(tracker, data, now)
  }
  socket.onclose = () => {
    clearTimeout(closer)
    resolve()
  }
  socket.onerror = () => {
    // onclose follows every error; nothing to release here.
  }
}

/** One VU: connect, reconnect with a short backoff until the end of the steady window. */
export default async function (): Promise<void> {
  const plan = connectionPlan()
  const tracker = createFeedTracker(PROTOCOL, plan.steadyFrom)
  let attempt = 0
  while (Date.now() < plan.until - 50 && attempt < 100) {
    await connectOnce(tracker, plan.until)
    attempt++
    if (Date.now() < plan.until - 50) await wait(Math.min(2000, 100 * 2 ** attempt))
  }
}

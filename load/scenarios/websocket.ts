/**
 * WebSocket: one VU holds one `GET /ws` connection for the whole test and measures every
 * frame. A dropped connection resumes with `?epoch=&since=`, so frames are never lost; a
 * sample of VUs drops once on purpose to measure the recovery (feed-drop.ts).
 * Works against either `--encoding`: JSON text messages and binary ones are both read.
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 -e VUS=100 -e RAMP=5s -e HOLD=20s load/scenarios/websocket.ts
 */
import exec from 'k6/execution'
import { WebSocket } from 'k6/websockets'
import { setTimeout, clearTimeout, setInterval, clearInterval } from 'k6/timers'
import { dropTime, markDropped, markResumed } from '../lib/feed-drop.ts'
import { feedConnect, feedPing } from '../lib/feed-metrics.ts'
import { PING_EVERY_MS, pingMessage, pingsOverSocket, pongId } from '../lib/feed-ping.ts'
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

/** Pings this VU has sent and not yet seen answered: id → send time, unix ms. */
interface Pinger {
  /** Whether this VU pings (a sample of the VUs does). */
  on: boolean
  steadyFrom: number
  sent: Map<string, number>
  count: number
}

/** This VU's planned drop: when, unix ms (`Infinity` once done, or for a VU that never drops). */
interface Drop {
  at: number
}

/** The `sent` map of every VU that does not ping: never written to. */
const NOT_PINGING: Map<string, number> = new Map()

/**
 * Opens one socket and resolves when it closes (at `until` or when the server drops it), or
 * at once, with true, when the VU drops it as planned.
 */
function connectOnce(
  tracker: FeedTracker,
  until: number,
  pinger: Pinger,
  drop: Drop,
): Promise<boolean> {
  return new Promise((resolve) => {
    openSocket(tracker, until, pinger, drop, resolve)
  })
}

/**
 * The socket of {@link connectOnce}. Its own function, not the promise's executor, so that
 * the message handler's scope is one step from the module's: every scope between them is
 * one more object per VU that each message reads (a cache miss with thousands of VUs).
 */
function openSocket(
  tracker: FeedTracker,
  until: number,
  pinger: Pinger,
  drop: Drop,
  resolve: (dropped: boolean) => void,
): void {
  const openedAt = Date.now()
  let connected = false
  // Set when this VU drops the socket: what still arrives on it is not the resumed stream's.
  let dropped = false
  // A resumed connection replays what it missed: that is recovery, not delivery latency.
  if (tracker.lastSeq >= 0) markResumed(tracker, openedAt)
  const socket = new WebSocket(WS_URL + cursorQuery(tracker))
  // A server with --encoding binary sends frames as binary messages: read them as ArrayBuffers.
  socket.binaryType = 'arraybuffer'
  const closer = setTimeout(() => {
    socket.close(1000)
  }, until - openedAt)
  const dropper =
    drop.at < until
      ? setTimeout(() => {
          drop.at = Infinity
          dropped = true
          markDropped(tracker, Date.now())
          socket.close(1000)
          resolve(true)
        }, drop.at - openedAt)
      : null
  // The upstream round trip rides the same socket: a sample of VUs pings in the steady window.
  const pinging = pinger.on
    ? setInterval(() => {
        const now = Date.now()
        if (now < pinger.steadyFrom || socket.readyState !== 1) return
        const n = pinger.count++
        pinger.sent.set(`${String(exec.vu.idInTest)}-${String(n)}`, now)
        socket.send(pingMessage(n))
      }, PING_EVERY_MS)
    : null
  socket.onmessage = (event) => {
    const now = Date.now()
    if (event === undefined) return
    const data: unknown = event.data
    if (dropped) return
    if (!connected) {
      connected = true
      feedConnect.add(now - openedAt, TAGS)
    }
    // The encoding is learned from each message: text is JSON, binary the binary layout.
    if (typeof data === 'string') {
      const pong = pinger.on ? pongId(data) : null
      const sentAt = pong === null ? undefined : pinger.sent.get(pong)
      if (pong !== null) {
        pinger.sent.delete(pong)
        if (sentAt !== undefined) feedPing.add(now - sentAt, TAGS)
        return
      }
      readFeedText(tracker, data, now)
    } else if (data instanceof ArrayBuffer) readFeedBinary(tracker, data, now)
  }
  socket.onclose = () => {
    clearTimeout(closer)
    if (dropper !== null) clearTimeout(dropper)
    if (pinging !== null) clearInterval(pinging)
    // A ping the closed socket never answered is not a round trip.
    pinger.sent.clear()
    resolve(false)
  }
  socket.onerror = () => {
    // onclose follows every error; nothing to release here.
  }
}

/** One VU: connect, reconnect with a short backoff until the end of the steady window. */
export default async function (): Promise<void> {
  const plan = connectionPlan()
  const tracker = createFeedTracker(PROTOCOL, plan.steadyFrom)
  const on = pingsOverSocket()
  // Only the sampled VUs get a map of their own: the rest share one that stays empty.
  const pinger: Pinger = {
    on,
    steadyFrom: plan.steadyFrom,
    sent: on ? new Map<string, number>() : NOT_PINGING,
    count: 0,
  }
  const drop: Drop = { at: dropTime(plan) }
  let attempt = 0
  while (Date.now() < plan.until - 50 && attempt < 100) {
    // After its planned drop the client reconnects at once: recovery is what is measured.
    if (await connectOnce(tracker, plan.until, pinger, drop)) continue
    attempt++
    if (Date.now() < plan.until - 50) await wait(Math.min(2000, 100 * 2 ** attempt))
  }
}

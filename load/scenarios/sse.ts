/**
 * Server-Sent Events: one VU holds one `GET /sse` stream for the whole test. A dropped
 * stream resumes with `Last-Event-ID: <epoch>:<seq>`; a sample of VUs drops once on purpose to
 * measure the recovery (feed-drop.ts). Works against either `--encoding`.
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 -e VUS=100 -e RAMP=5s -e HOLD=20s load/scenarios/sse.ts
 */
import sse from 'k6/x/sse'
import { dropTime, markDropped, markResumed } from '../lib/feed-drop.ts'
import { feedConnect } from '../lib/feed-metrics.ts'
import { pingOverPost, pingScenario } from '../lib/feed-ping.ts'
import { baseUrl, connectionPlan, feedOptions, wait } from '../lib/feed-options.ts'
import { createFeedTracker, readFeedSseData } from '../lib/feed-reader.ts'

const PROTOCOL = 'sse'
const TAGS = { protocol: PROTOCOL }
const SSE_URL = `${baseUrl}/sse`

/** k6 options: ramping-vus to `VUS`, thresholds on latency and gaps. */
export const options = feedOptions(PROTOCOL, 0, { pings: pingScenario() })

/** One VU: hold the stream until the end of the steady window, resuming if it drops. */
export default async function (): Promise<void> {
  const plan = connectionPlan()
  const tracker = createFeedTracker(PROTOCOL, plan.steadyFrom)
  // When this VU drops its stream, and whether it just did (set from the event callback).
  const drop = { at: dropTime(plan), now: false }
  let attempt = 0
  while (Date.now() < plan.until - 50 && attempt < 100) {
    const openedAt = Date.now()
    let connected = false
    const headers: Record<string, string> = { Accept: 'text/event-stream' }
    if (tracker.lastSeq >= 0) {
      headers['Last-Event-ID'] = `${tracker.epoch}:${tracker.lastSeq}`
      // A resumed stream replays what it missed: that is recovery, not delivery latency.
      markResumed(tracker, openedAt)
    }
    // xk6-sse's open() returns when the stream closes, so the stream is closed from its own
    // event callback once the plan's end has passed.
    await sse.open(SSE_URL, { headers, tags: TAGS }, (client) => {
      client.on('event', (event) => {
        const now = Date.now()
        if (drop.now) return
        if (now >= drop.at) {
          // The planned drop: the stream closes here and reopens at once with its cursor.
          drop.at = Infinity
          drop.now = true
          markDropped(tracker, now)
          client.close()
          return
        }
        if (!connected) {
          connected = true
          feedConnect.add(now - openedAt, TAGS)
        }
        // JSON text or base64 of the binary layout (`--encoding binary`), told apart per event.
        readFeedSseData(tracker, event.data, now)
        if (now >= plan.until) client.close()
      })
      client.on('error', () => {
        client.close()
      })
    })
    // After its planned drop the client reopens at once: recovery is what is measured.
    if (drop.now) {
      drop.now = false
      continue
    }
    attempt++
    if (Date.now() < plan.until - 50) await wait(Math.min(2000, 100 * 2 ** attempt))
  }
}

/** The `pings` scenario: the upstream round trip, `POST /api/ping` (see feed-ping.ts). */
export function ping(): Promise<void> {
  return pingOverPost(PROTOCOL)
}

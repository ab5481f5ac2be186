/**
 * HTTP long polling: one VU is one client that keeps one `GET /poll/long` outstanding for
 * the whole test, each reply's `next` becoming the following request's `since`. A sample of
 * VUs drops once on purpose to measure the recovery (feed-drop.ts): the poll outstanding at
 * the drop time is cut there, and the next one goes out at once with the cursor.
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 -e VUS=100 -e RAMP=5s -e HOLD=20s load/scenarios/long-poll.ts
 */
import http from 'k6/http'
import { dropTime, markDropped, markResumed } from '../lib/feed-drop.ts'
import { feedConnect } from '../lib/feed-metrics.ts'
import { pingOverPost, pingScenario } from '../lib/feed-ping.ts'
import { baseUrl, connectionPlan, feedOptions, wait } from '../lib/feed-options.ts'
import { createFeedTracker, readFeedPollReply } from '../lib/feed-reader.ts'

const PROTOCOL = 'long-poll'
const TAGS = { protocol: PROTOCOL }
/** Server-side hold, s; the request timeout leaves room above it. */
const WAIT_S = 25
/** Request timeout, ms: room above the server's hold. */
const TIMEOUT_MS = (WAIT_S + 10) * 1000
const PARAMS = { tags: { protocol: PROTOCOL, name: 'poll-long' }, timeout: `${WAIT_S + 10}s` }
/** The poll a planned drop cuts: its timeout ends at the drop (see feed-drop.ts). */
const CUT = { tags: PARAMS.tags, timeout: TIMEOUT_MS }

/** k6 options: ramping-vus to `VUS`, thresholds on latency and gaps. */
export const options = feedOptions(PROTOCOL, 0, { pings: pingScenario() })

/** One VU: poll back to back until the end of the steady window. */
export default async function (): Promise<void> {
  const plan = connectionPlan()
  const tracker = createFeedTracker(PROTOCOL, plan.steadyFrom)
  let epoch = ''
  let since = -1
  let first = true
  let failures = 0
  let dropAt = dropTime(plan)
  while (Date.now() < plan.until && failures < 100) {
    const holdS = Math.max(1, Math.min(WAIT_S, Math.ceil((plan.until - Date.now()) / 1000)))
    const cursor = since >= 0 ? `epoch=${encodeURIComponent(epoch)}&since=${since}&` : ''
    const sentAt = Date.now()
    // The first poll after the drop brings what the client missed: replays, not latency.
    if (tracker.droppedAt !== 0) markResumed(tracker, sentAt)
    const cutting = dropAt < sentAt + TIMEOUT_MS
    if (cutting) CUT.timeout = Math.max(1, dropAt - sentAt)
    const res = await http.asyncRequest(
      'GET',
      `${baseUrl}/poll/long?${cursor}wait=${holdS}`,
      null,
      cutting ? CUT : PARAMS,
    )
    const now = Date.now()
    if (cutting && now >= dropAt) {
      // The planned drop: this poll (cut or just answered) is lost; the next goes out at once.
      dropAt = Infinity
      markDropped(tracker, now)
      continue
    }
    if (res.status !== 200 || typeof res.body !== 'string') {
      failures++
      await wait(Math.min(2000, 100 * 2 ** failures))
      continue
    }
    if (first) {
      first = false
      feedConnect.add(now - sentAt, TAGS)
    }
    const next = readFeedPollReply(tracker, res.body, now)
    if (!Number.isNaN(next)) since = next
    if (tracker.epoch !== '') epoch = tracker.epoch
  }
}

/** The `pings` scenario: the upstream round trip, `POST /api/ping` (see feed-ping.ts). */
export function ping(): Promise<void> {
  return pingOverPost(PROTOCOL)
}

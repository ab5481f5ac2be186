/**
 * HTTP short polling: one VU is one client asking `GET /poll/short` every
 * `POLL_INTERVAL`, with `If-None-Match` so an unchanged feed costs a 304. A sample of VUs
 * drops once on purpose to measure the recovery (feed-drop.ts): the drop falls just after a
 * reply, and the client learns of it at its next poll.
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 -e VUS=100 -e RAMP=5s -e HOLD=20s -e POLL_INTERVAL=1s load/scenarios/short-poll.ts
 */
import http from 'k6/http'
import { dropTime, markDropped } from '../lib/feed-drop.ts'
import { feedConnect } from '../lib/feed-metrics.ts'
import { pingOverPost, pingScenario } from '../lib/feed-ping.ts'
import { baseUrl, connectionPlan, feedOptions, pollIntervalMs, wait } from '../lib/feed-options.ts'
import { createFeedTracker, readFeedPollReply } from '../lib/feed-reader.ts'

const PROTOCOL = 'short-poll'
const TAGS = { protocol: PROTOCOL }

/** k6 options: as the others, with the poll interval added to the latency budget. */
export const options = feedOptions(PROTOCOL, pollIntervalMs, { pings: pingScenario() })

/** One VU: poll every `POLL_INTERVAL` until the end of the steady window. */
export default async function (): Promise<void> {
  const plan = connectionPlan()
  const tracker = createFeedTracker(PROTOCOL, plan.steadyFrom)
  const headers: Record<string, string> = {}
  const params = { headers, tags: { protocol: PROTOCOL, name: 'poll-short' }, timeout: '10s' }
  let epoch = ''
  let since = -1
  let first = true
  let polls = 0
  let dropAt = dropTime(plan)
  // Bounded: one poll per interval over the plan, plus slack.
  const maxPolls = Math.ceil((plan.until - Date.now()) / Math.max(1, pollIntervalMs)) + 10
  while (Date.now() < plan.until && polls < maxPolls) {
    polls++
    const sentAt = Date.now()
    const cursor = since >= 0 ? `?epoch=${encodeURIComponent(epoch)}&since=${since}` : ''
    const res = await http.asyncRequest('GET', `${baseUrl}/poll/short${cursor}`, null, params)
    const now = Date.now()
    if (res.status === 200 && typeof res.body === 'string') {
      if (first) {
        first = false
        feedConnect.add(now - sentAt, TAGS)
      }
      const next = readFeedPollReply(tracker, res.body, now)
      if (!Number.isNaN(next)) since = next
      if (tracker.epoch !== '') epoch = tracker.epoch
      const etag = res.headers['Etag']
      if (etag !== undefined) headers['If-None-Match'] = etag
    }
    if (now >= dropAt) {
      // The planned drop, just after this reply: the client sees it at its next poll.
      dropAt = Infinity
      markDropped(tracker, now)
    }
    // Keep the cadence: the next poll starts one interval after this one started.
    await wait(sentAt + pollIntervalMs - Date.now())
  }
}

/** The `pings` scenario: the upstream round trip, `POST /api/ping` (see feed-ping.ts). */
export function ping(): Promise<void> {
  return pingOverPost(PROTOCOL)
}

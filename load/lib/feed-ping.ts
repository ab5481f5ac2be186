/**
 * The upstream round trip each scenario measures (`feed_ping`): how long a client's message
 * to the server takes to be answered. WebSocket sends `{"type":"ping"}` on its own socket
 * (see websocket.ts); SSE and the polls have no upstream channel on their stream, so a
 * `pings` scenario beside the main one POSTs `/api/ping`, as their clients would. Only a
 * sample of clients ping, twice a second, so that the pings do not change what the step
 * measures: one VU in {@link PING_EVERY_NTH_VU}, and {@link PING_VUS} for the POST scenario.
 */
import http from 'k6/http'
import exec from 'k6/execution'
import type { Options } from 'k6/options'
import { feedPing } from './feed-metrics.ts'
import { baseUrl, connectionPlan, holdMs, rampMs, wait } from './feed-options.ts'

/** Time between two pings of one client, ms. */
export const PING_EVERY_MS = 500
/** WebSocket: every n-th VU pings over its socket (VU 1, 51, 101, …). */
export const PING_EVERY_NTH_VU = 50
/** SSE and polls: VUs of the `pings` scenario. */
export const PING_VUS = 2

/** Whether this WebSocket VU is one of the sample that pings. */
export function pingsOverSocket(): boolean {
  return (exec.vu.idInTest - 1) % PING_EVERY_NTH_VU === 0
}

/** The JSON of ping number `n` of this VU. */
export function pingMessage(n: number): string {
  return `{"type":"ping","id":"${String(exec.vu.idInTest)}-${String(n)}"}`
}

/** The id of a `pong` message's text, or null when the text is not a pong. */
export function pongId(text: string): string | null {
  if (!text.startsWith('{"type":"pong"')) return null
  const match = /"id":"([^"]*)"/.exec(text)
  return match?.[1] ?? null
}

/** The `pings` scenario for `options.scenarios`: {@link PING_VUS} VUs for the whole test. */
export function pingScenario(): NonNullable<Options['scenarios']>[string] {
  // @types/k6 declares scenarios as class instances; k6 itself reads plain objects.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  return {
    executor: 'constant-vus',
    vus: PING_VUS,
    duration: `${String(Math.ceil((rampMs + holdMs) / 1000))}s`,
    exec: 'ping',
    gracefulStop: '5s',
  }
}

/** One VU of the `pings` scenario: POST `/api/ping` every {@link PING_EVERY_MS} until the end. */
export async function pingOverPost(protocol: string): Promise<void> {
  const plan = connectionPlan()
  const params = {
    headers: { 'Content-Type': 'application/json' },
    tags: { protocol, name: 'ping' },
    timeout: '10s',
  }
  let n = 0
  while (Date.now() < plan.until) {
    const sentAt = Date.now()
    const res = await http.asyncRequest('POST', `${baseUrl}/api/ping`, pingMessage(n++), params)
    const now = Date.now()
    if (res.status === 200 && sentAt >= plan.steadyFrom) feedPing.add(now - sentAt, { protocol })
    await wait(PING_EVERY_MS - (now - sentAt))
  }
}

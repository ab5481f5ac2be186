/**
 * Poll sessions are bounded: an abandoned parked long poll on a stopped session no longer
 * keeps its session forever (the idle sweep skipped any session with a parked poll, and the
 * parked poll's hook outlived its request), and one address may hold only so many live
 * sessions per poll transport before `session=new` gets 429 `too-many-sessions`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PollReply } from '../../servers/feed/messages.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'

const IDLE_MS = 1000
const CAP = 3

let server: RunningServer

beforeAll(async () => {
  server = await startServer({
    port: 0,
    rate: 20,
    serveSite: false,
    pollSessionIdleMs: IDLE_MS,
    maxPollSessionsPerIp: CAP,
  })
})
afterAll(async () => {
  await server.close()
})

async function newSession(path: '/poll/short' | '/poll/long'): Promise<Response> {
  return fetch(`${server.url}${path}?session=new&wait=0`)
}

async function control(session: string, action: 'start' | 'stop'): Promise<number> {
  const res = await fetch(`${server.url}/api/control`, {
    method: 'POST',
    body: JSON.stringify({ type: 'control', action, session }),
  })
  await res.body?.cancel()
  return res.status
}

describe('poll sessions', () => {
  it('forgets a stopped session whose parked long poll was abandoned, once it has been idle', async () => {
    const first = (await (await newSession('/poll/long')).json()) as PollReply
    const session = first.session ?? ''
    expect(await control(session, 'stop')).toBe(200)
    const abort = new AbortController()
    const parked = fetch(
      `${server.url}/poll/long?session=${session}&epoch=${first.epoch}&since=${first.next}&wait=25`,
      { signal: abort.signal },
    ).catch(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 200))
    abort.abort()
    await parked
    // The sweep runs every max(1 s, idle) and forgets sessions idle past IDLE_MS.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2 + 600))
    expect(await control(session, 'start')).toBe(404)
  })

  it('keeps a session while its parked long poll is held', async () => {
    const first = (await (await newSession('/poll/long')).json()) as PollReply
    const session = first.session ?? ''
    expect(await control(session, 'stop')).toBe(200)
    const parked = fetch(
      `${server.url}/poll/long?session=${session}&epoch=${first.epoch}&since=${first.next}&wait=4`,
    )
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2 + 600))
    // Still known: start releases the parked poll with what it missed.
    expect(await control(session, 'start')).toBe(200)
    const reply = (await (await parked).json()) as PollReply
    expect(reply.messages.length).toBeGreaterThan(0)
  })

  it.each(['/poll/short', '/poll/long'] as const)(
    'caps live sessions per address on %s with 429 too-many-sessions naming the option',
    async (path) => {
      // Sessions of the tests above have been forgotten or are answered; wait them out.
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2 + 600))
      const statuses: number[] = []
      let refusal: { code?: string; message?: string } = {}
      for (let i = 0; i <= CAP; i++) {
        const res = await newSession(path)
        statuses.push(res.status)
        const body = (await res.json()) as { code?: string; message?: string }
        if (res.status === 429) refusal = body
      }
      expect(statuses).toEqual([...Array<number>(CAP).fill(200), 429])
      expect(refusal.code).toBe('too-many-sessions')
      expect(refusal.message).toMatch(/--max-poll-sessions-per-ip/)
      // Polls without a new session are not refused.
      expect((await fetch(`${server.url}${path}?wait=0`)).status).toBe(200)
    },
  )
})

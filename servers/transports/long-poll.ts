/**
 * HTTP long-poll transport: `GET /poll/long?epoch=&since=&wait=25[&session=]` answers at
 * once when frames newer than `since` exist, otherwise holds the request until the next
 * tick or until `wait` seconds pass (then `messages` is empty). All requests released by
 * one tick at the same cursor share one body.
 */
import type { ServerResponse } from 'node:http'
import type { FeedTick } from '../feed/feed.ts'
import type { Cursor } from '../feed/history-ring.ts'
import { parseWait, type Parsed } from '../http/query.ts'
import {
  finishBody,
  writeReply,
  type PollBodies,
  type PollBody,
  type PollSession,
} from './poll-replies.ts'
import { PollTransport, type PollRequest } from './poll-transport.ts'
import type { TransportContext } from './transport.ts'

/** A held request. */
interface Waiter {
  readonly res: ServerResponse
  readonly cursor: Cursor
  readonly session: PollSession | undefined
  /** `performance.now()` after which it is answered with no messages. */
  readonly deadline: number
}

// How often held requests are checked against their deadline.
const SWEEP_MS = 250

/** The long-poll transport; the requests it holds are what a broadcast reaches. */
export class LongPollTransport extends PollTransport<Waiter, number> {
  readonly name = 'long-poll' as const

  broadcast(_tick: FeedTick): void {
    const bodies = this.bodies
    if (bodies === undefined || this.clients.size === 0) return
    for (const waiter of this.clients) {
      if (waiter.session?.paused === true) continue
      this.#answer(waiter, bodies.for(waiter.cursor))
    }
  }

  protected override install(context: TransportContext): void {
    super.install(context)
    this.every(SWEEP_MS, this.#onSweep)
  }

  protected override releaseHeld(): void {
    const bodies = this.bodies
    if (bodies === undefined) return
    for (const waiter of this.clients) this.#answer(waiter, bodies.empty(waiter.cursor.since))
  }

  /** `wait`: seconds to hold a request when nothing is new (0–60, default `--long-poll-wait`). */
  protected parseParams(query: Record<string, unknown>, context: TransportContext): Parsed<number> {
    return parseWait(query, context.options.longPollWaitS)
  }

  protected answer(poll: PollRequest<number>): void {
    const { res, cursor, params: wait, session, context, bodies } = poll
    if (session?.paused !== true || cursor === undefined) {
      const body = bodies.for(cursor)
      if (body.count > 0 || cursor === undefined || wait === 0) {
        context.metrics.sent(this.name, body.count, send(res, body, session))
        return
      }
    }
    if (wait === 0) {
      send(res, bodies.empty(cursor.since), session)
      return
    }
    this.#hold({ res, cursor, session, deadline: performance.now() + wait * 1000 }, bodies)
  }

  /** Holds a request until a tick, its deadline, a resume of its session or its close. */
  #hold(waiter: Waiter, bodies: PollBodies): void {
    const { res, session } = waiter
    this.clients.add(waiter)
    const onResume =
      session === undefined
        ? undefined
        : () => {
            if (this.clients.has(waiter)) this.#answer(waiter, bodies.for(waiter.cursor))
          }
    if (session !== undefined) session.onResume = onResume
    res.once('close', () => {
      this.clients.delete(waiter)
      // An abandoned parked poll releases its session: the idle clock starts now, and the
      // sweep (which keeps sessions with a parked poll) may forget it.
      if (session !== undefined && session.onResume === onResume) {
        session.onResume = undefined
        session.lastSeen = Date.now()
      }
    })
  }

  #answer(waiter: Waiter, body: PollBody): void {
    this.clients.delete(waiter)
    if (waiter.session !== undefined) waiter.session.onResume = undefined
    const bytes = send(waiter.res, body, waiter.session)
    this.context?.metrics.sent(this.name, body.count, bytes)
  }

  readonly #onSweep = (): void => {
    const bodies = this.bodies
    if (bodies === undefined) return
    const now = performance.now()
    for (const waiter of this.clients) {
      if (waiter.deadline <= now) this.#answer(waiter, bodies.empty(waiter.cursor.since))
    }
  }
}

const NO_STORE = { 'Cache-Control': 'no-store' }

/** Write a poll reply; returns the body bytes. */
function send(res: ServerResponse, body: PollBody, session: PollSession | undefined): number {
  return writeReply(res, finishBody(body, session), NO_STORE)
}

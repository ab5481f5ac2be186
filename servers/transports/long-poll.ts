/**
 * HTTP long-poll transport: `GET /poll/long?epoch=&since=&wait=25[&session=]` answers at
 * once when frames newer than `since` exist, otherwise holds the request until the next
 * tick or until `wait` seconds pass (then `messages` is empty). All requests released by
 * one tick at the same cursor share one body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FeedTick } from '../feed/feed.ts'
import type { Cursor } from '../feed/history-ring.ts'
import { fault, writeFaultReply } from '../http/errors.ts'
import { parseCursorQuery, parseWait } from '../http/query.ts'
import {
  finishBody,
  writeReply,
  PollBodies,
  PollClients,
  type PollBody,
  type PollSession,
} from './poll-replies.ts'
import type { CloseReason, Transport, TransportContext } from './transport.ts'
import { PROTOCOL_TABLE } from './protocols.ts'

/** Its path, from the protocol table. */
const LONG_POLL_PATH = PROTOCOL_TABLE['long-poll'].path

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

/** The long-poll transport. */
export class LongPollTransport implements Transport {
  readonly name = 'long-poll' as const
  readonly #waiters = new Set<Waiter>()
  #context: TransportContext | undefined
  #bodies: PollBodies | undefined
  #clients: PollClients | undefined
  #sweep: NodeJS.Timeout | undefined
  #closing = false

  get clientCount(): number {
    return this.#clients?.count ?? 0
  }

  attach(context: TransportContext): void {
    this.#context = context
    this.#bodies = new PollBodies(context.feed)
    this.#clients = new PollClients(
      this.name,
      context.sessions,
      context.options.pollSessionIdleMs,
      context.options.maxPollSessionsPerIp,
    )
    // Served before express: this runs once per request, thousands of times a second.
    context.plainRoutes.get(LONG_POLL_PATH, this.#poll, `GET ${LONG_POLL_PATH} polls the feed`)
    this.#sweep = setInterval(this.#onSweep, SWEEP_MS)
    this.#sweep.unref()
  }

  broadcast(_tick: FeedTick): void {
    const bodies = this.#bodies
    if (bodies === undefined || this.#waiters.size === 0) return
    for (const waiter of this.#waiters) {
      if (waiter.session?.paused === true) continue
      this.#answer(waiter, bodies.for(waiter.cursor))
    }
  }

  close(_reason: CloseReason): Promise<void> {
    this.#closing = true
    clearInterval(this.#sweep)
    const bodies = this.#bodies
    if (bodies !== undefined) {
      for (const waiter of this.#waiters) this.#answer(waiter, bodies.empty(waiter.cursor.since))
    }
    this.#clients?.close()
    return Promise.resolve()
  }

  readonly #poll = (
    req: IncomingMessage,
    res: ServerResponse,
    query: Record<string, unknown>,
  ): void => {
    const context = this.#context
    const bodies = this.#bodies
    const clients = this.#clients
    if (context === undefined || bodies === undefined || clients === undefined) return
    if (this.#closing) {
      writeFaultReply(res, fault('shutting-down'))
      return
    }
    const cursor = parseCursorQuery(query)
    if (!cursor.ok) {
      writeFaultReply(res, cursor.fault)
      return
    }
    const wait = parseWait(query, context.options.longPollWaitS)
    if (!wait.ok) {
      writeFaultReply(res, wait.fault)
      return
    }
    const resolved = clients.resolve(query['session'], context.access.addressOf(req))
    if (!resolved.ok) {
      writeFaultReply(res, resolved.fault)
      return
    }
    const session = resolved.session
    clients.track(req.socket)
    if (session?.paused !== true || cursor.value === undefined) {
      const body = bodies.for(cursor.value)
      if (body.count > 0 || cursor.value === undefined || wait.value === 0) {
        context.metrics.sent(this.name, body.count, send(res, body, session))
        return
      }
    }
    if (wait.value === 0) {
      send(res, bodies.empty(cursor.value.since), session)
      return
    }
    const waiter: Waiter = {
      res,
      cursor: cursor.value,
      session,
      deadline: performance.now() + wait.value * 1000,
    }
    this.#waiters.add(waiter)
    const onResume =
      session === undefined
        ? undefined
        : () => {
            if (this.#waiters.has(waiter)) this.#answer(waiter, bodies.for(waiter.cursor))
          }
    if (session !== undefined) session.onResume = onResume
    res.once('close', () => {
      this.#waiters.delete(waiter)
      // An abandoned parked poll releases its session: the idle clock starts now, and the
      // sweep (which keeps sessions with a parked poll) may forget it.
      if (session !== undefined && session.onResume === onResume) {
        session.onResume = undefined
        session.lastSeen = Date.now()
      }
    })
  }

  #answer(waiter: Waiter, body: PollBody): void {
    this.#waiters.delete(waiter)
    if (waiter.session !== undefined) waiter.session.onResume = undefined
    const bytes = send(waiter.res, body, waiter.session)
    this.#context?.metrics.sent(this.name, body.count, bytes)
  }

  readonly #onSweep = (): void => {
    const bodies = this.#bodies
    if (bodies === undefined) return
    const now = performance.now()
    for (const waiter of this.#waiters) {
      if (waiter.deadline <= now) this.#answer(waiter, bodies.empty(waiter.cursor.since))
    }
  }
}

const NO_STORE = { 'Cache-Control': 'no-store' }

/** Write a poll reply; returns the body bytes. */
function send(res: ServerResponse, body: PollBody, session: PollSession | undefined): number {
  return writeReply(res, finishBody(body, session), NO_STORE)
}

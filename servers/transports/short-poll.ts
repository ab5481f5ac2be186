/**
 * HTTP short-poll transport: `GET /poll/short?epoch=&since=[&session=]` answers at once
 * with whatever is newer than `since`. The `ETag` names the state the reply leaves the
 * client at (`"<epoch>:<next>"`); sent back as `If-None-Match` while nothing is new, it
 * gets `304 Not Modified`.
 */
import type { Request, Response } from 'express'
import type { FeedTick } from '../feed/feed.ts'
import { fault, sendFault } from '../http/errors.ts'
import { parseCursorQuery } from '../http/query.ts'
import { finishBody, PollBodies, PollClients, writeReply } from './poll-replies.ts'
import type { CloseReason, Transport, TransportContext } from './transport.ts'

/** The path of the short-poll endpoint. */
export const SHORT_POLL_PATH = '/poll/short'

/** The short-poll transport. */
export class ShortPollTransport implements Transport {
  readonly name = 'short-poll' as const
  #context: TransportContext | undefined
  #bodies: PollBodies | undefined
  #clients: PollClients | undefined
  #closing = false

  get clientCount(): number {
    return this.#clients?.count ?? 0
  }

  attach(context: TransportContext): void {
    this.#context = context
    this.#bodies = new PollBodies(context.feed)
    this.#clients = new PollClients(this.name, context.sessions, context.options.pollSessionIdleMs)
    context.router
      .route(SHORT_POLL_PATH)
      .get((req, res) => {
        this.#poll(req, res)
      })
      .all((_req, res) => {
        sendFault(res, fault('method-not-allowed', 'GET /poll/short polls the feed'), {
          Allow: 'GET',
        })
      })
  }

  broadcast(_tick: FeedTick): void {
    // Short-poll clients come to the server; nothing to push.
  }

  close(_reason: CloseReason): Promise<void> {
    this.#closing = true
    this.#clients?.close()
    return Promise.resolve()
  }

  #poll(req: Request, res: Response): void {
    const context = this.#context
    const bodies = this.#bodies
    const clients = this.#clients
    if (context === undefined || bodies === undefined || clients === undefined) return
    if (this.#closing) {
      sendFault(res, fault('shutting-down'))
      return
    }
    const query = req.query as Record<string, unknown>
    const cursor = parseCursorQuery(query)
    if (!cursor.ok) {
      sendFault(res, cursor.fault)
      return
    }
    const resolved = clients.resolve(query['session'])
    if (!resolved.ok) {
      sendFault(res, resolved.fault)
      return
    }
    const session = resolved.session
    clients.track(req.socket)
    const body =
      session?.paused === true && cursor.value !== undefined
        ? bodies.empty(cursor.value.since)
        : bodies.for(cursor.value)
    const etag = `"${context.feed.epoch}:${body.next}"`
    res.set('ETag', etag).set('Cache-Control', 'no-cache')
    if (body.count === 0 && req.get('if-none-match') === etag) {
      res.status(304).end()
      return
    }
    const bytes = writeReply(res, finishBody(body, session))
    context.metrics.sent(this.name, body.count, bytes)
  }
}

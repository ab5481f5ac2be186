/**
 * HTTP short-poll transport: `GET /poll/short?epoch=&since=[&session=]` answers at once
 * with whatever is newer than `since`. The `ETag` names the state the reply leaves the
 * client at (`"<epoch>:<next>"`); sent back as `If-None-Match` while nothing is new, it
 * gets `304 Not Modified`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FeedTick } from '../feed/feed.ts'
import { fault, writeFaultReply } from '../http/errors.ts'
import { parseCursorQuery } from '../http/query.ts'
import { finishBody, PollBodies, PollClients, writeReply } from './poll-replies.ts'
import type { CloseReason, Transport, TransportContext } from './transport.ts'
import { PROTOCOL_TABLE } from './protocols.ts'

/** Its path, from the protocol table. */
const SHORT_POLL_PATH = PROTOCOL_TABLE['short-poll'].path

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
    this.#clients = new PollClients(
      this.name,
      context.sessions,
      context.options.pollSessionIdleMs,
      context.options.maxPollSessionsPerIp,
    )
    // Served before express: this runs once per request, thousands of times a second.
    context.plainRoutes.get(SHORT_POLL_PATH, this.#poll, `GET ${SHORT_POLL_PATH} polls the feed`)
  }

  broadcast(_tick: FeedTick): void {
    // Short-poll clients come to the server; nothing to push.
  }

  close(_reason: CloseReason): Promise<void> {
    this.#closing = true
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
    const resolved = clients.resolve(query['session'], context.access.addressOf(req))
    if (!resolved.ok) {
      writeFaultReply(res, resolved.fault)
      return
    }
    const session = resolved.session
    clients.track(req.socket)
    const body =
      session?.paused === true && cursor.value !== undefined
        ? bodies.empty(cursor.value.since)
        : bodies.for(cursor.value)
    const etag = `"${context.feed.epoch}:${body.next}"`
    if (body.count === 0 && req.headers['if-none-match'] === etag) {
      res.writeHead(304, { ETag: etag, 'Cache-Control': 'no-cache' })
      res.end()
      return
    }
    const bytes = writeReply(res, finishBody(body, session), {
      ETag: etag,
      'Cache-Control': 'no-cache',
    })
    context.metrics.sent(this.name, body.count, bytes)
  }
}

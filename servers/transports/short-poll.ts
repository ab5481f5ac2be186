/**
 * HTTP short-poll transport: `GET /poll/short?epoch=&since=[&session=]` answers at once
 * with whatever is newer than `since`. The `ETag` names the state the reply leaves the
 * client at (`"<epoch>:<next>"`); sent back as `If-None-Match` while nothing is new, it
 * gets `304 Not Modified`.
 */
import type { FeedTick } from '../feed/feed.ts'
import type { Parsed } from '../http/query.ts'
import { finishBody, writeReply } from './poll-replies.ts'
import { PollTransport, type PollRequest } from './poll-transport.ts'

// The short poll has no parameters of its own: one answer for every request.
const NO_PARAMS: Parsed<undefined> = Object.freeze({ ok: true, value: undefined })

/** The short-poll transport. */
export class ShortPollTransport extends PollTransport<never, undefined> {
  readonly name = 'short-poll' as const

  broadcast(_tick: FeedTick): void {
    // Short-poll clients come to the server; nothing to push.
  }

  protected parseParams(): Parsed<undefined> {
    return NO_PARAMS
  }

  protected answer({ req, res, cursor, session, context, bodies }: PollRequest<undefined>): void {
    const body =
      session?.paused === true && cursor !== undefined
        ? bodies.empty(cursor.since)
        : bodies.for(cursor)
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

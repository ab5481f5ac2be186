/**
 * The seed-naive SSE design: like seed 000's WebSocket server, one `setInterval` per
 * stream that serializes the current state and writes it to that one response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { SERVER_DEFAULTS } from '../http/options.ts'
import type { NaiveFeed } from './naive-feed.ts'
import type { NaiveMetrics } from './naive-metrics.ts'
import { parseCursor, parseLastEventId } from './naive-cursor.ts'

/** Serves `GET /sse` with one timer per stream. */
export class NaiveSse {
  readonly #feed: NaiveFeed
  readonly #metrics: NaiveMetrics
  readonly #open = new Set<ServerResponse>()

  constructor(feed: NaiveFeed, metrics: NaiveMetrics) {
    this.#feed = feed
    this.#metrics = metrics
  }

  #write(res: ServerResponse, seq: number, json: string): void {
    // Even the naive design bounds what a stalled reader can queue: the reference default.
    if (res.writableLength > SERVER_DEFAULTS.maxBufferedBytes) {
      res.destroy()
      return
    }
    const event = `id: ${this.#feed.epoch}:${seq}\ndata: ${json}\n\n`
    res.write(event)
    this.#metrics.framesSent.inc({ protocol: 'sse' })
    this.#metrics.bytesSent.inc({ protocol: 'sse' }, Buffer.byteLength(event))
  }

  /** Opens a stream; resumes from `Last-Event-ID` or `?epoch=&since=`. */
  handle(req: IncomingMessage, res: ServerResponse, params: URLSearchParams): void {
    const header = req.headers['last-event-id']
    const cursor =
      typeof header === 'string'
        ? parseLastEventId(header)
        : parseCursor(params.get('epoch'), params.get('since'))
    if (!cursor.ok) {
      res.writeHead(400, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ type: 'error', code: 'bad-cursor', message: cursor.message }))
      return
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    })
    this.#open.add(res)
    this.#metrics.clients.inc({ protocol: 'sse' })
    let last = this.#feed.currentSeq()
    for (const json of this.#feed.catchUp(cursor.epoch, cursor.since, last)) {
      this.#write(res, last, json)
    }
    // The naive part: a timer per stream, the state serialized per stream.
    const timer = setInterval(() => {
      const seq = this.#feed.currentSeq()
      if (seq <= last) return
      last = seq
      this.#write(res, seq, this.#feed.frame(seq))
    }, this.#feed.periodMs)
    res.on('close', () => {
      clearInterval(timer)
      this.#open.delete(res)
      this.#metrics.clients.dec({ protocol: 'sse' })
    })
  }

  /** Ends every open stream. */
  close(): void {
    for (const res of this.#open) res.end()
  }
}

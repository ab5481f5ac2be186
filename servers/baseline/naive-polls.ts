/**
 * The seed-naive polling designs: every request serializes the frames it returns for
 * itself, and a held long poll watches the clock with a timer of its own.
 */
import type { ServerResponse } from 'node:http'
import type { NaiveFeed } from './naive-feed.ts'
import type { NaiveMetrics } from './naive-metrics.ts'
import { parseCursor } from './naive-cursor.ts'
import type { Protocol } from '../transports/protocols.ts'

/** Longest `wait` a long poll may ask for, seconds. */
const MAX_WAIT_S = 60
/** `wait` when the client does not send one, seconds (DESIGN.md: `wait=25`). */
const DEFAULT_WAIT_S = 25

/** Serves `GET /poll/long` and `GET /poll/short`. */
export class NaivePolls {
  readonly #feed: NaiveFeed
  readonly #metrics: NaiveMetrics
  readonly #held = new Set<() => void>()

  constructor(feed: NaiveFeed, metrics: NaiveMetrics) {
    this.#feed = feed
    this.#metrics = metrics
  }

  #reply(res: ServerResponse, protocol: Protocol, upTo: number, messages: string[]): void {
    // Built by string concatenation so each message is serialized once, by this request.
    const body = `{"epoch":${JSON.stringify(this.#feed.epoch)},"next":${upTo},"messages":[${messages.join(',')}]}`
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    res.end(body)
    this.#metrics.framesSent.inc({ protocol }, messages.length)
    this.#metrics.bytesSent.inc({ protocol }, Buffer.byteLength(body))
  }

  #badRequest(res: ServerResponse, message: string): void {
    res.writeHead(400, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ type: 'error', code: 'bad-request', message }))
  }

  /** Answers at once with what is newer than the cursor. */
  short(res: ServerResponse, params: URLSearchParams): void {
    const cursor = parseCursor(params.get('epoch'), params.get('since'))
    if (!cursor.ok) {
      this.#badRequest(res, cursor.message)
      return
    }
    const upTo = this.#feed.currentSeq()
    this.#reply(res, 'short-poll', upTo, this.#feed.catchUp(cursor.epoch, cursor.since, upTo))
  }

  /** Holds the request until a newer frame exists or `wait` seconds pass. */
  long(res: ServerResponse, params: URLSearchParams): void {
    const cursor = parseCursor(params.get('epoch'), params.get('since'))
    if (!cursor.ok) {
      this.#badRequest(res, cursor.message)
      return
    }
    const waitParam = params.get('wait')
    const waitS = waitParam === null ? DEFAULT_WAIT_S : Number(waitParam)
    if (!Number.isFinite(waitS) || waitS < 0 || waitS > MAX_WAIT_S) {
      this.#badRequest(res, `wait must be a number of seconds from 0 to ${MAX_WAIT_S}`)
      return
    }
    const now = this.#feed.currentSeq()
    if (cursor.since === undefined || cursor.epoch !== this.#feed.epoch || cursor.since < now) {
      this.#reply(res, 'long-poll', now, this.#feed.catchUp(cursor.epoch, cursor.since, now))
      return
    }
    const since = cursor.since
    this.#metrics.clients.inc({ protocol: 'long-poll' })
    const deadline = Date.now() + waitS * 1000
    // The naive part: every held request polls the clock with a timer of its own.
    const timer = setInterval(() => {
      const seq = this.#feed.currentSeq()
      if (seq > since) {
        finish()
        this.#reply(res, 'long-poll', seq, this.#feed.catchUp(cursor.epoch, since, seq))
      } else if (Date.now() >= deadline) {
        finish()
        this.#reply(res, 'long-poll', since, [])
      }
    }, this.#feed.periodMs)
    const finish = (): void => {
      clearInterval(timer)
      if (this.#held.delete(finish)) this.#metrics.clients.dec({ protocol: 'long-poll' })
    }
    this.#held.add(finish)
    res.on('close', finish)
  }

  /** Releases every held request. */
  close(): void {
    for (const finish of [...this.#held]) finish()
  }
}

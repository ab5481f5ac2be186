/**
 * The live page's polling clients. Long poll: `GET /poll/long?epoch=&since=&wait=25`, re-issued
 * as soon as a reply arrives. Short poll: `GET /poll/short?epoch=&since=` every interval with
 * `If-None-Match`. Both resume by sending their cursor; Stop simply stops polling.
 */
import type { PollReply } from '../../../servers/feed/messages.ts'
import { FeedClient } from './feed-client.ts'
import type { ResumeCursor } from './feed-tracker.ts'

/** Seconds a long poll may be held by the server (DESIGN.md's `wait`). */
export const LONG_POLL_WAIT_S = 25
/** Short-poll interval, ms: the bench's default `POLL_INTERVAL` of 1 s. */
export const SHORT_POLL_INTERVAL_MS = 1000

abstract class PollFeedClient extends FeedClient {
  #abort: AbortController | undefined
  #etag: string | undefined

  /** Query parameters beyond the cursor. */
  protected abstract readonly extraQuery: Record<string, string>
  /** Pause between a reply and the next request, ms. */
  protected abstract readonly intervalMs: number

  protected open(cursor: ResumeCursor | undefined): void {
    const controller = new AbortController()
    this.#abort = controller
    void this.#loop(controller, cursor)
  }

  async #loop(controller: AbortController, start: ResumeCursor | undefined): Promise<void> {
    let cursor = start
    try {
      while (this.#abort === controller) {
        const url = new URL(this.path, this.baseUrl)
        if (cursor) {
          url.searchParams.set('epoch', cursor.epoch)
          url.searchParams.set('since', String(cursor.since))
        }
        for (const [key, value] of Object.entries(this.extraQuery)) url.searchParams.set(key, value)
        const headers: Record<string, string> =
          this.#etag === undefined ? {} : { 'If-None-Match': this.#etag }
        this.tracker.countRequest()
        const response = await fetch(url, { signal: controller.signal, cache: 'no-store', headers })
        if (response.status !== 304 && !response.ok) throw new Error(`HTTP ${response.status}`)
        if (this.state === 'connecting') this.opened()
        const body = await response.text()
        this.tracker.countBytes(responseBytes(response, body))
        if (response.status === 200) {
          this.#etag = response.headers.get('ETag') ?? undefined
          const reply = JSON.parse(body) as PollReply
          if (this.#abort !== controller) return
          for (const message of reply.messages) this.deliver(message)
          cursor = { epoch: reply.epoch, since: reply.next }
        }
        if (this.intervalMs > 0) await sleep(this.intervalMs, controller.signal)
      }
    } catch (error) {
      if (this.#abort !== controller) return
      this.#abort = undefined
      this.lost(error instanceof Error ? error.message : 'poll failed')
    }
  }

  protected drop(): void {
    const controller = this.#abort
    this.#abort = undefined
    controller?.abort()
  }

  protected isConnected(): boolean {
    return this.#abort !== undefined
  }

  // Polls hold no connection worth keeping: Stop stops polling, Start polls again from the cursor.
  protected pause(): void {
    this.drop()
  }

  protected resume(): void {
    this.open(this.tracker.cursor)
  }
}

/**
 * Bytes of a response on the wire: status line, each header as `name: value` plus CRLF, the blank
 * line, and the body (ASCII JSON). Headers a page cannot read (Set-Cookie) are not counted.
 */
const responseBytes = (response: Response, body: string): number => {
  let bytes =
    `HTTP/1.1 ${String(response.status)} ${response.statusText}\r\n\r\n`.length + body.length
  for (const [name, value] of response.headers) bytes += name.length + 2 + value.length + 2
  return bytes
}

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        reject(new Error('aborted'))
      },
      { once: true },
    )
  })

/** Long-poll feed client. */
export class LongPollFeedClient extends PollFeedClient {
  readonly protocol = 'long-poll'
  protected readonly extraQuery = { wait: String(LONG_POLL_WAIT_S) }
  protected readonly intervalMs = 0
}

/** Short-poll feed client. */
export class ShortPollFeedClient extends PollFeedClient {
  readonly protocol = 'short-poll'
  protected readonly extraQuery = {}
  protected readonly intervalMs = SHORT_POLL_INTERVAL_MS
}

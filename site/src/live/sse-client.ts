/**
 * The live page's Server-Sent Events client. It reads `text/event-stream` with `fetch` and
 * eventsource-parser rather than `EventSource`: a new `EventSource` cannot send `Last-Event-ID`,
 * so a reconnect driven by our own backoff could not resume; with `fetch` every reconnect sends
 * `Last-Event-ID: <epoch>:<seq>`. Start/Stop go to `POST /api/control` with the announced session.
 * A `data:` field is JSON, or base64 of a binary frame from a `--encoding binary` server
 * (`feed-decoding.ts`).
 */
import { EventSourceParserStream } from 'eventsource-parser/stream'
import { FeedClient } from './feed-client.ts'
import { decodeSseData } from './feed-decoding.ts'
import type { ResumeCursor } from './feed-tracker.ts'

/** Server-Sent Events feed client. */
export class SseFeedClient extends FeedClient {
  readonly protocol = 'sse'
  #abort: AbortController | undefined
  #session: string | undefined

  protected open(cursor: ResumeCursor | undefined): void {
    const controller = new AbortController()
    this.#abort = controller
    this.#session = undefined
    const headers: Record<string, string> = { Accept: 'text/event-stream' }
    if (cursor) headers['Last-Event-ID'] = `${cursor.epoch}:${cursor.since}`
    void this.#read(controller, headers)
  }

  async #read(controller: AbortController, headers: Record<string, string>): Promise<void> {
    try {
      this.tracker.countRequest()
      const response = await fetch(new URL(this.path, this.baseUrl), {
        headers,
        signal: controller.signal,
        cache: 'no-store',
      })
      if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`)
      this.opened()
      const tracker = this.tracker
      const reader = response.body
        .pipeThrough(new TextDecoderStream())
        .pipeThrough(
          // Counts the stream as it arrives: ids, field names and heartbeats included. The event
          // stream is ASCII (JSON, or base64 frames), so a character is a byte.
          new TransformStream<string, string>({
            transform(chunk, sink) {
              tracker.countBytes(chunk.length)
              sink.enqueue(chunk)
            },
          }),
        )
        .pipeThrough(new EventSourceParserStream())
        .getReader()
      for (;;) {
        const { done, value } = await reader.read()
        if (done) throw new Error('stream ended')
        if (value.event === 'session') {
          const announced = parseSession(value.data)
          if (announced !== undefined) this.#session = announced
          continue
        }
        const decoded = decodeSseData(value.data)
        if (decoded) this.deliver(decoded.message, decoded.encoding)
      }
    } catch (error) {
      if (this.#abort !== controller) return
      this.#abort = undefined
      this.lost(error instanceof Error ? error.message : 'stream failed')
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

  protected override killOnServer(): boolean {
    if (this.#session === undefined) return false
    // The server destroys the stream's connection; the read loop sees it break and reconnects.
    void this.#post('drop').then((ok) => {
      if (ok) return
      this.drop()
      this.lost('connection killed')
    })
    return true
  }

  protected pause(): void {
    void this.#control('stop')
  }

  protected resume(): void {
    void this.#control('start')
  }

  /** Asks the server to pause or resume this stream; without a session, pauses by disconnecting. */
  async #control(action: 'start' | 'stop'): Promise<void> {
    const ok = await this.#post(action)
    // Without a working control endpoint, stop by disconnecting: start reconnects from the cursor.
    if (!ok && action === 'stop') this.drop()
  }

  /** `POST /api/control` for this stream's session; false when there is none or it failed. */
  async #post(action: 'start' | 'stop' | 'drop'): Promise<boolean> {
    const session = this.#session
    if (session === undefined) return false
    return fetch(new URL('/api/control', this.baseUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ session, type: 'control', action }),
    }).then(
      (response) => response.ok,
      () => false,
    )
  }
}

const parseSession = (data: string): string | undefined => {
  try {
    const value: unknown = JSON.parse(data)
    if (
      typeof value === 'object' &&
      value !== null &&
      'session' in value &&
      typeof value.session === 'string'
    )
      return value.session
  } catch {
    // Not JSON: no session.
  }
  return undefined
}

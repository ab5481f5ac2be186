/**
 * One small client per protocol behind one interface, so the conformance suite runs
 * unchanged against all four transports. Real clients: `ws`, fetch streaming parsed by
 * eventsource-parser, fetch polls. The WebSocket and SSE clients read either feed encoding
 * (`--encoding`): binary messages and base64 SSE data are decoded with the server's binary
 * codec, so every test sees the same message objects.
 */
import { createParser } from 'eventsource-parser'
import { WebSocket, type RawData } from 'ws'
import { decodeBinaryMessage } from '../../servers/feed/binary-codec.ts'
import type { Cursor } from '../../servers/feed/history-ring.ts'
import type { PollReply, PongMessage, ServerMessage } from '../../servers/feed/messages.ts'
import { PROTOCOL_TABLE, type Protocol } from '../../servers/transports/protocols.ts'

/** A connected feed client. */
export interface FeedClient {
  readonly protocol: Protocol
  /** Every feed message received, in order (session announcements excluded). */
  readonly messages: ServerMessage[]
  /** Resolve with the first message (from index `from`) that matches, or reject after `timeoutMs`. */
  waitFor(
    match: (message: ServerMessage) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<ServerMessage>
  /** Round trip one ping. */
  ping(id: string): Promise<PongMessage>
  /** Pause or resume delivery; resolves once the server has applied it. */
  control(action: 'start' | 'stop'): Promise<void>
  /** Kill the connection without a goodbye. */
  kill(): void
}

/** The cursor of the last frame or snapshot a client received. */
export function lastCursor(client: FeedClient): Cursor {
  for (let i = client.messages.length - 1; i >= 0; i--) {
    const message = client.messages[i]
    if (message?.type === 'frame' || message?.type === 'snapshot') {
      return { epoch: message.epoch, since: message.seq }
    }
  }
  throw new Error('no frame received yet')
}

/** Base class: message list and waiting. */
abstract class BaseClient implements FeedClient {
  abstract readonly protocol: Protocol
  readonly messages: ServerMessage[] = []
  #waiters: (() => void)[] = []
  protected readonly baseUrl: string

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl
  }

  protected receive(message: ServerMessage): void {
    this.messages.push(message)
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  async waitFor(
    match: (message: ServerMessage) => boolean,
    timeoutMs = 5000,
    from = 0,
  ): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.messages.slice(from).find(match)
      if (found !== undefined) return found
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(
          `${this.protocol}: no matching message within ${timeoutMs} ms (got ${this.messages.length})`,
        )
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  abstract ping(id: string): Promise<PongMessage>
  abstract control(action: 'start' | 'stop'): Promise<void>
  abstract kill(): void
}

class WebSocketClient extends BaseClient {
  readonly protocol = 'websocket' as const
  readonly ws: WebSocket

  constructor(baseUrl: string, cursor: Cursor | undefined) {
    super(baseUrl)
    const query = cursor === undefined ? '' : `?epoch=${cursor.epoch}&since=${cursor.since}`
    this.ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws${query}`)
    this.ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? Buffer.from(data)
          : data
      this.receive(
        isBinary ? decodeBinaryMessage(bytes) : (JSON.parse(bytes.toString()) as ServerMessage),
      )
    })
    this.ws.on('error', () => {
      // Killed or refused: the tests look at messages and close codes.
    })
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => {
        resolve()
      })
      this.ws.once('error', reject)
    })
  }

  async ping(id: string): Promise<PongMessage> {
    const from = this.messages.length
    this.ws.send(JSON.stringify({ type: 'ping', id }))
    return (await this.waitFor((m) => m.type === 'pong' && m.id === id, 5000, from)) as PongMessage
  }

  async control(action: 'start' | 'stop'): Promise<void> {
    this.ws.send(JSON.stringify({ type: 'control', action }))
    // Messages are handled in order: the pong proves the control was applied.
    await this.ping(`after-${action}-${this.messages.length}`)
  }

  kill(): void {
    this.ws.terminate()
  }
}

/** Shared by the HTTP-upstream clients: ping and control by POST with the session id. */
abstract class HttpUpstreamClient extends BaseClient {
  session: string | undefined
  protected readonly abort = new AbortController()

  async ping(id: string): Promise<PongMessage> {
    const res = await fetch(`${this.baseUrl}/api/ping`, {
      method: 'POST',
      body: JSON.stringify({ type: 'ping', id, session: this.session }),
    })
    if (res.status !== 200) throw new Error(`ping: ${res.status} ${await res.text()}`)
    return (await res.json()) as PongMessage
  }

  async control(action: 'start' | 'stop'): Promise<void> {
    const res = await fetch(`${this.baseUrl}/api/control`, {
      method: 'POST',
      body: JSON.stringify({ type: 'control', action, session: this.session }),
    })
    if (res.status !== 200) throw new Error(`control: ${res.status} ${await res.text()}`)
  }

  kill(): void {
    this.abort.abort()
  }
}

class SseClient extends HttpUpstreamClient {
  readonly protocol = 'sse' as const
  readonly #opened: Promise<void>

  constructor(baseUrl: string, cursor: Cursor | undefined) {
    super(baseUrl)
    const headers: Record<string, string> = { Accept: 'text/event-stream' }
    if (cursor !== undefined) headers['Last-Event-ID'] = `${cursor.epoch}:${cursor.since}`
    this.#opened = this.#run(headers)
  }

  async #run(headers: Record<string, string>): Promise<void> {
    const res = await fetch(`${this.baseUrl}/sse`, { headers, signal: this.abort.signal })
    if (res.status !== 200 || res.body === null)
      throw new Error(`sse: ${res.status} ${await res.text()}`)
    let announced: () => void = () => undefined
    const session = new Promise<void>((resolve) => {
      announced = resolve
    })
    const parser = createParser({
      onEvent: (event) => {
        if (event.event === 'session') {
          this.session = (JSON.parse(event.data) as { session: string }).session
          announced()
        } else {
          // JSON starts with '{'; anything else is the base64 of a binary message.
          this.receive(
            event.data.startsWith('{')
              ? (JSON.parse(event.data) as ServerMessage)
              : decodeBinaryMessage(Buffer.from(event.data, 'base64')),
          )
        }
      },
    })
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return
          parser.feed(value)
        }
      } catch {
        // Aborted by kill().
      }
    })()
    await session
  }

  opened(): Promise<void> {
    return this.#opened
  }
}

/** Long or short polling, one request at a time. */
class PollClient extends HttpUpstreamClient {
  readonly protocol: 'long-poll' | 'short-poll'
  #cursor: Cursor | undefined
  #first: Promise<void>

  constructor(baseUrl: string, protocol: 'long-poll' | 'short-poll', cursor: Cursor | undefined) {
    super(baseUrl)
    this.protocol = protocol
    this.#cursor = cursor
    this.#first = this.#loop()
  }

  async #pollOnce(): Promise<void> {
    const path = PROTOCOL_TABLE[this.protocol].path
    const params = new URLSearchParams({ session: this.session ?? 'new' })
    if (this.#cursor !== undefined) {
      params.set('epoch', this.#cursor.epoch)
      params.set('since', String(this.#cursor.since))
    }
    if (this.protocol === 'long-poll') params.set('wait', '5')
    const res = await fetch(`${this.baseUrl}${path}?${params.toString()}`, {
      signal: this.abort.signal,
    })
    if (res.status !== 200) throw new Error(`${this.protocol}: ${res.status} ${await res.text()}`)
    const reply = (await res.json()) as PollReply
    this.session = reply.session
    for (const message of reply.messages) this.receive(message)
    this.#cursor = { epoch: reply.epoch, since: reply.next }
  }

  async #loop(): Promise<void> {
    await this.#pollOnce()
    void (async () => {
      // Bounded by the test's lifetime: kill() aborts the loop.
      for (let polls = 0; polls < 100_000 && !this.abort.signal.aborted; polls++) {
        try {
          await this.#pollOnce()
        } catch {
          return
        }
        if (this.protocol === 'short-poll') await new Promise((resolve) => setTimeout(resolve, 15))
      }
    })()
  }

  opened(): Promise<void> {
    return this.#first
  }
}

/** How each protocol's client is made and awaited. */
const OPENERS: Record<
  Protocol,
  (baseUrl: string, cursor: Cursor | undefined) => Promise<FeedClient>
> = {
  websocket: async (baseUrl, cursor) => {
    const client = new WebSocketClient(baseUrl, cursor)
    await client.opened()
    return client
  },
  sse: async (baseUrl, cursor) => {
    const client = new SseClient(baseUrl, cursor)
    await client.opened()
    return client
  },
  'long-poll': async (baseUrl, cursor) => {
    const client = new PollClient(baseUrl, 'long-poll', cursor)
    await client.opened()
    return client
  },
  'short-poll': async (baseUrl, cursor) => {
    const client = new PollClient(baseUrl, 'short-poll', cursor)
    await client.opened()
    return client
  },
}

/** Open a client of `protocol` on the server at `baseUrl`, optionally resuming from `cursor`. */
export function openClient(
  protocol: Protocol,
  baseUrl: string,
  cursor?: Cursor,
): Promise<FeedClient> {
  return OPENERS[protocol](baseUrl, cursor)
}

/**
 * Server-Sent Events transport (`GET /sse`, resume with `Last-Event-ID: <epoch>:<seq>` or
 * `?lastEventId=<epoch>:<seq>`),
 * on better-sse. Each tick becomes one event string, built once with better-sse's
 * `EventBuffer`, then framed once as an HTTP/1.1 chunk (`http-chunk.ts`); that one Buffer is
 * written straight to every stream's socket. Through `res.write` every write would cost
 * four socket writes (size line, CRLF, data, CRLF), a cork and a `nextTick`; written
 * pre-framed it is one write, as the WebSocket transport writes one pre-built frame.
 */
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Request, Response } from 'express'
import { createSession, EventBuffer, type Session } from 'better-sse'
import type { CatchUp, FeedTick } from '../feed/feed.ts'
import { fault, sendFault } from '../http/errors.ts'
import { answerRequest } from '../http/handler-guard.ts'
import { parseStreamCursor } from '../http/query.ts'
import { encodeChunk } from './http-chunk.ts'
import type { ControlMessage } from '../feed/messages.ts'
import { base64TickText, sseDataOf } from '../feed/tick-encodings.ts'
import { ControlSessions, type ControlSession } from './control-sessions.ts'
import type { CloseReason, TransportContext } from './transport.ts'
import { TransportBase } from './transport-base.ts'
import { PROTOCOL_TABLE } from './protocols.ts'

/** Its path, from the protocol table. */
const SSE_PATH = PROTOCOL_TABLE.sse.path

/** The event name that announces the session id, before any feed message. */
export const SESSION_EVENT = 'session'

// Frames are already JSON text: write them verbatim.
const verbatim = (data: unknown): string => String(data)
const HEARTBEAT = Buffer.from(':\n\n')
const HEARTBEAT_CHUNK = encodeChunk(HEARTBEAT)
// On a restart the stream ends with this: browsers reconnect after 1 s and resume by Last-Event-ID.
const RESTART_RETRY = Buffer.from('retry: 1000\n\n')

/** One open event stream. */
class SseClient implements ControlSession {
  readonly protocol = 'sse' as const
  paused = false
  pausedAt = 0

  readonly id: string
  readonly res: ServerResponse
  readonly session: Session
  /** Ends the stream when the token expires; undefined without auth. */
  expiry: NodeJS.Timeout | undefined = undefined
  /**
   * The socket the stream's bytes are written to directly, or null when the response does
   * not own its socket outright (then every write goes through `res.write`).
   */
  readonly socket: Socket | null
  /** True when the response body uses chunked transfer coding (HTTP/1.1). */
  readonly chunked: boolean
  readonly #transport: SseTransport

  constructor(id: string, res: ServerResponse, session: Session, transport: SseTransport) {
    this.id = id
    this.res = res
    this.session = session
    this.#transport = transport
    const socket = res.socket
    // Direct writes keep the byte order only when the headers are out and the response
    // holds nothing back: then res.write would itself write straight to this socket.
    this.socket =
      socket !== null && res.headersSent && res.writableLength === socket.writableLength
        ? socket
        : null
    this.chunked = res.chunkedEncoding
  }

  /** Unsent bytes of this stream (the slow-consumer bound applies to it). */
  get buffered(): number {
    return this.socket === null ? this.res.writableLength : this.socket.writableLength
  }

  /**
   * Write stream bytes given both as they are (`raw`) and framed as one chunk (`chunk`,
   * from {@link encodeChunk}); returns the bytes put on the wire.
   */
  writeFramed(raw: Buffer, chunk: Buffer): number {
    if (this.socket === null) {
      this.res.write(raw)
      return this.chunked ? chunk.length : raw.length
    }
    const bytes = this.chunked ? chunk : raw
    this.socket.write(bytes)
    return bytes.length
  }

  /** Write stream bytes, framing them for this client; returns the bytes put on the wire. */
  write(raw: Buffer): number {
    // Nothing to send (a catch-up at the newest frame); framed, it would end the body.
    if (raw.length === 0) return 0
    return this.writeFramed(raw, this.chunked ? encodeChunk(raw) : raw)
  }

  control(action: ControlMessage['action']): boolean {
    this.#transport.control(this, action)
    return true
  }
}

/** The SSE transport. */
export class SseTransport extends TransportBase<SseClient> {
  readonly name = 'sse' as const

  protected install(context: TransportContext): void {
    context.router
      .route(SSE_PATH)
      .get((req, res) => {
        this.#open(req, res).catch((error: unknown) => {
          context.guard.caught('sse open', error)
          answerRequest(res)
        })
      })
      .all((_req, res) => {
        sendFault(res, fault('method-not-allowed', 'GET /sse opens an event stream'), {
          Allow: 'GET',
        })
      })
    this.every(context.options.heartbeatMs, this.#onHeartbeat)
  }

  broadcast(tick: FeedTick): void {
    const context = this.context
    if (context === undefined || this.clients.size === 0) return
    const event = Buffer.from(
      new EventBuffer({ serializer: verbatim })
        .id(`${context.feed.epoch}:${tick.seq}`)
        // --encoding binary: base64 of the tick's binary frame, encoded once per tick.
        .data(context.options.encoding === 'binary' ? base64TickText(tick) : tick.text)
        .dispatch()
        .read(),
    )
    // Framed once per tick, like the event itself: per client it is one write.
    const chunk = encodeChunk(event)
    const { maxBufferedBytes } = context.options
    let written = 0
    let bytes = 0
    for (const client of this.clients) {
      if (client.paused) continue
      bytes += client.writeFramed(event, chunk)
      written++
      if (client.buffered > maxBufferedBytes) this.#closeSlow(client)
    }
    context.metrics.sent(this.name, written, bytes)
  }

  protected async closeClients(reason: CloseReason): Promise<void> {
    const ended = [...this.clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          clearTimeout(client.expiry)
          if (reason === 'restart') client.write(RESTART_RETRY)
          client.res.end(resolve)
        }),
    )
    this.clients.clear()
    await Promise.race([Promise.all(ended), new Promise((resolve) => setTimeout(resolve, 1000))])
  }

  /** Pause, resume or drop one client (from `POST /api/control`). */
  control(client: SseClient, action: ControlMessage['action']): void {
    const context = this.context
    if (context === undefined) return
    if (action === 'drop') {
      // No orderly end: the client must see the stream break, as on a network failure.
      client.res.socket?.destroy()
      return
    }
    if (action === 'stop') {
      if (!client.paused) {
        client.paused = true
        client.pausedAt = context.feed.seq
      }
      return
    }
    if (client.paused) {
      this.#writeCatchUp(
        client,
        context.feed.catchUp({ epoch: context.feed.epoch, since: client.pausedAt }),
      )
      client.paused = false
    }
  }

  async #open(req: Request, res: Response): Promise<void> {
    const context = this.context
    if (context === undefined) return
    if (this.closing) {
      sendFault(res, fault('shutting-down'))
      return
    }
    // Browsers resend Last-Event-ID on their own reconnects; a page opening a fresh
    // EventSource cannot set headers, so `?lastEventId=` is accepted too.
    const cursor = parseStreamCursor(req.get('last-event-id'), req.query)
    if (!cursor.ok) {
      sendFault(res, cursor.fault)
      return
    }
    const session = await createSession(req, res, {
      // One shared heartbeat timer instead of better-sse's per-session interval.
      keepAlive: null,
      serializer: verbatim,
      headers: { 'X-Accel-Buffering': 'no' },
    })
    // HEAD gets the headers a GET gets, from better-sse, and no body: Node drops what goes
    // through res.write for HEAD, but the stream's bytes would go straight to the socket.
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    // The server may have begun closing while the session opened.
    if (this.#isClosing() || res.destroyed) {
      res.end()
      return
    }
    const client = new SseClient(ControlSessions.newId(), res, session, this)
    client.expiry = this.expireAt(context.access.expiresAtMs(req), () => {
      this.clients.delete(client)
      res.end()
    })
    session.once('disconnected', () => {
      clearTimeout(client.expiry)
      this.clients.delete(client)
      context.sessions.delete(client.id)
    })
    client.write(
      Buffer.from(`event: ${SESSION_EVENT}\ndata: ${JSON.stringify({ session: client.id })}\n\n`),
    )
    // Catch up and join the broadcast in one synchronous step: no tick can fall between.
    this.#writeCatchUp(client, context.feed.catchUp(cursor.value))
    this.clients.add(client)
    context.sessions.add(client)
  }

  #writeCatchUp(client: SseClient, catchUp: CatchUp): void {
    const context = this.context
    if (context === undefined) return
    const buffer = new EventBuffer({ serializer: verbatim })
    catchUp.messages.forEach((message, index) => {
      // The reset carries no id, so the client's Last-Event-ID stays at the snapshot's.
      if (!(catchUp.reset && index === 0)) {
        buffer.id(`${context.feed.epoch}:${catchUp.firstSeq + (catchUp.reset ? 0 : index)}`)
      }
      buffer.data(sseDataOf(message, context.options.encoding)).dispatch()
    })
    const bytes = client.write(Buffer.from(buffer.read()))
    context.metrics.sent(this.name, catchUp.messages.length, bytes)
  }

  #closeSlow(client: SseClient): void {
    this.clients.delete(client)
    // A stalled reader never drains what is queued: cut the connection to free it.
    client.res.destroy()
    this.context?.metrics.slowConsumerCloses.inc({ protocol: this.name })
  }

  // Read through a call: the check after an await must not be narrowed by the one before it.
  #isClosing(): boolean {
    return this.closing
  }

  readonly #onHeartbeat = (): void => {
    const bound = this.context?.options.maxBufferedBytes ?? Infinity
    for (const client of this.clients) {
      // Paused streams get heartbeats too: the bound holds for them as for frames.
      if (client.buffered > bound) {
        this.#closeSlow(client)
        continue
      }
      client.writeFramed(HEARTBEAT, HEARTBEAT_CHUNK)
    }
  }
}

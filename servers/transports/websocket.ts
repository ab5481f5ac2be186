/**
 * WebSocket transport (`GET /ws?epoch=&since=`), on `ws` with `noServer` upgrades from
 * the shared HTTP server. Each tick is framed once (`Sender.frame`) and the same bytes
 * are written to every socket; with `--deflate` each socket compresses, so the same
 * payload buffer goes through `ws.send` instead. With `--encoding binary` frames and
 * snapshots are binary messages (`feed/binary-layout.ts`); `reset`, `pong` and `error`
 * stay JSON text, so the opcode tells a client which is which.
 */
import type { IncomingMessage } from 'node:http'
import { parse as parseQuery } from 'node:querystring'
import type { Duplex } from 'node:stream'
import * as wsModule from 'ws'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { binaryFromJson } from '../feed/binary-codec.ts'
import { decodeClientMessage, encodeError, encodePong, wallClock } from '../feed/codec.ts'
import type { FeedTick } from '../feed/feed.ts'
import { binaryTickBytes } from '../feed/tick-encodings.ts'
import type { Admission } from '../http/access-guard.ts'
import { selectSubprotocol } from '../http/auth.ts'
import { answerSocket } from '../http/handler-guard.ts'
import { FAULTS, fault, type Fault } from '../http/errors.ts'
import { rejectUpgrade } from '../http/upgrade-router.ts'
import { parseCursorQuery } from '../http/query.ts'
import { parseTarget } from '../http/request-target.ts'
import { TokenBucket } from '../http/rate-limit.ts'
import type { CloseReason, TransportContext } from './transport.ts'
import { TransportBase } from './transport-base.ts'
import { PROTOCOL_TABLE } from './protocols.ts'

/** Its path, from the protocol table. */
const WEBSOCKET_PATH = PROTOCOL_TABLE.websocket.path

// ws ships Sender.frame untyped; this is the part of its signature used here.
interface FrameOptions {
  fin: boolean
  opcode: number
  mask: boolean
  readOnly: boolean
  rsv1: boolean
}
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] }
}
const TEXT_FRAME: FrameOptions = {
  fin: true,
  opcode: 0x1,
  mask: false,
  readOnly: true,
  rsv1: false,
}
const BINARY_FRAME: FrameOptions = { ...TEXT_FRAME, opcode: 0x2 }

/** One connected socket. */
interface WebSocketClient {
  readonly ws: WebSocket
  readonly socket: Duplex
  /** Delivery paused by a `stop` control message. */
  paused: boolean
  /** Seq the client held when it paused. */
  pausedAt: number
  /** Heartbeats sent without a pong since. */
  missedPongs: number
  /** Messages allowed per second (`--max-messages-per-s`), null when unlimited. */
  readonly inbound: TokenBucket | null
}

/** The WebSocket transport. */
export class WebSocketTransport extends TransportBase<WebSocketClient> {
  readonly name = 'websocket' as const
  #wss: WebSocketServer | undefined

  protected install(context: TransportContext): void {
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: context.options.maxPayload,
      perMessageDeflate: context.options.deflate,
      // Echo the fixed protocol name, never the `bearer.<token>` entry beside it.
      handleProtocols: selectSubprotocol,
    })
    context.upgrades.route(WEBSOCKET_PATH, this.#onUpgrade)
    this.every(context.options.heartbeatMs, this.#onHeartbeat)
  }

  broadcast(tick: FeedTick): void {
    const context = this.context
    if (context === undefined || this.clients.size === 0) return
    const { maxBufferedBytes, deflate, encoding } = context.options
    const binary = encoding === 'binary'
    // Encoded once per tick (and shared with the SSE transport); the same bytes for every socket.
    const payload = binary ? binaryTickBytes(tick) : tick.bytes
    let written = 0
    let bytes: number
    if (deflate) {
      for (const client of this.clients) {
        if (client.paused || client.ws.readyState !== WebSocket.OPEN) continue
        client.ws.send(payload, { binary })
        written++
        if (client.ws.bufferedAmount > maxBufferedBytes) this.#closeSlow(client)
      }
      bytes = written * payload.length
    } else {
      const frame = Buffer.concat(Sender.frame(payload, binary ? BINARY_FRAME : TEXT_FRAME))
      for (const client of this.clients) {
        if (client.paused || client.ws.readyState !== WebSocket.OPEN) continue
        client.socket.write(frame)
        written++
        if (client.socket.writableLength > maxBufferedBytes) this.#closeSlow(client)
      }
      bytes = written * frame.length
    }
    context.metrics.sent(this.name, written, bytes)
  }

  protected async closeClients(reason: CloseReason): Promise<void> {
    const { close, message } = FAULTS[reason === 'restart' ? 'restarting' : 'shutting-down']
    const closed = [...this.clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          client.ws.once('close', () => {
            resolve()
          })
          client.ws.close(close, message.slice(0, 120))
        }),
    )
    // Peers get a moment to answer the close handshake; the rest are cut.
    await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 1000))])
    for (const client of this.clients) client.ws.terminate()
    this.clients.clear()
    this.#wss?.close()
  }

  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const context = this.context
    if (context === undefined) return
    const target = parseTarget(request.url)
    if (!target.ok) {
      rejectUpgrade(socket, target.fault)
      return
    }
    if (this.closing) {
      rejectUpgrade(socket, fault('shutting-down'))
      return
    }
    const originFault = context.access.checkOrigin(request)
    if (originFault !== null) {
      rejectUpgrade(socket, originFault)
      return
    }
    // Parsed as the polls parse theirs (express's "simple" parser): a repeated key is an array.
    const cursor = parseCursorQuery(parseQuery(target.value.query))
    if (!cursor.ok) {
      rejectUpgrade(socket, cursor.fault)
      return
    }
    if (!context.access.authRequired) {
      // Without auth the handshake stays synchronous, as before.
      this.#accept(request, socket, head, cursor.value, null)
      return
    }
    const answer = (): void => {
      answerSocket(socket)
    }
    context.access.authenticate(request).then(
      context.guard.callback(
        'websocket handshake (after token check)',
        (admission: Admission) => {
          if (socket.destroyed) return
          if (admission.ok) {
            this.#accept(request, socket, head, cursor.value, admission.expiresAtMs)
          } else {
            rejectUpgrade(socket, admission.fault, admission.headers)
          }
        },
        answer,
      ),
      (error: unknown) => {
        context.guard.caught('token check', error)
        answer()
      },
    )
  }

  #accept(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cursor: Parameters<TransportContext['feed']['catchUp']>[0],
    expiresAtMs: number | null,
  ): void {
    const context = this.context
    const wss = this.#wss
    if (context === undefined || wss === undefined) return
    if (this.closing) {
      rejectUpgrade(socket, fault('shutting-down'))
      return
    }
    const release = context.access.acquireConnection(request)
    if (release === null) {
      rejectUpgrade(socket, fault('too-many-connections'))
      return
    }
    socket.once('close', release)
    const { maxMessagesPerS } = context.options
    wss.handleUpgrade(request, socket, head, (ws) => {
      const client: WebSocketClient = {
        ws,
        socket,
        paused: false,
        pausedAt: 0,
        missedPongs: 0,
        inbound: maxMessagesPerS > 0 ? new TokenBucket(maxMessagesPerS, maxMessagesPerS) : null,
      }
      const expiry = this.expireAt(expiresAtMs, () => {
        this.clients.delete(client)
        ws.close(FAULTS['token-expired'].close, 'token expired')
      })
      ws.on('error', () => {
        // ws has already closed the socket with the right code (1009, 1002, …); nothing to add.
      })
      ws.on('close', () => {
        clearTimeout(expiry)
        this.clients.delete(client)
      })
      ws.on('pong', () => {
        client.missedPongs = 0
      })
      ws.on(
        'message',
        context.guard.callback(
          'websocket message',
          (data: RawData, isBinary: boolean) => {
            this.#onMessage(client, data, isBinary)
          },
          () => {
            this.clients.delete(client)
            ws.close(FAULTS.internal.close, 'internal error')
          },
        ),
      )
      // Catch up and join the broadcast in one synchronous step: no tick can fall between.
      this.#sendCatchUp(client, cursor)
      this.clients.add(client)
    })
  }

  #sendCatchUp(
    client: WebSocketClient,
    cursor: Parameters<TransportContext['feed']['catchUp']>[0],
  ): void {
    const context = this.context
    if (context === undefined) return
    const { messages } = context.feed.catchUp(cursor)
    const binary = context.options.encoding === 'binary'
    let bytes = 0
    for (const message of messages) {
      // Replays are rare (a resume, a start): encoding them per client costs nothing per tick.
      const encoded = binary ? binaryFromJson(message) : null
      if (encoded === null) {
        client.ws.send(message)
        bytes += message.length
      } else {
        client.ws.send(encoded, { binary: true })
        bytes += encoded.length
      }
    }
    context.metrics.sent(this.name, messages.length, bytes)
  }

  #onMessage(client: WebSocketClient, data: RawData, isBinary: boolean): void {
    const context = this.context
    if (context === undefined || client.ws.readyState !== WebSocket.OPEN) return
    if (client.inbound !== null && !client.inbound.take()) {
      this.clients.delete(client)
      client.ws.close(FAULTS['rate-limited'].close, 'rate')
      return
    }
    if (isBinary) {
      this.#sendFault(client, fault('bad-message', 'send JSON as text frames, not binary'))
      return
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString()
      : data instanceof ArrayBuffer
        ? Buffer.from(data).toString()
        : data.toString()
    const decoded = decodeClientMessage(text)
    if (!decoded.ok) {
      this.#sendFault(client, { code: decoded.code, message: decoded.message })
      return
    }
    const message = decoded.message
    if (message.type === 'ping') {
      client.ws.send(encodePong(message.id, wallClock()))
      this.#checkBound(client)
      return
    }
    if (message.action === 'drop') {
      // No close frame: the client sees 1006, as on a network failure, and resumes by cursor.
      client.socket.destroy()
      return
    }
    if (message.action === 'stop') {
      if (!client.paused) {
        client.paused = true
        client.pausedAt = context.feed.seq
      }
      return
    }
    if (client.paused) {
      this.#sendCatchUp(client, { epoch: context.feed.epoch, since: client.pausedAt })
      client.paused = false
    }
  }

  #sendFault(client: WebSocketClient, failure: Fault): void {
    client.ws.send(encodeError(failure.code, failure.message))
    this.#checkBound(client)
  }

  /**
   * Closes a client whose unsent bytes passed `maxBufferedBytes`, whatever queued them:
   * broadcasts, replies (pong, error), catch-ups, ws's own pongs; paused or not.
   */
  #checkBound(client: WebSocketClient): void {
    const context = this.context
    if (context === undefined || client.ws.readyState !== WebSocket.OPEN) return
    if (client.ws.bufferedAmount > context.options.maxBufferedBytes) this.#closeSlow(client)
  }

  #closeSlow(client: WebSocketClient): void {
    this.clients.delete(client)
    client.ws.close(FAULTS.slow.close, 'slow')
    this.context?.metrics.slowConsumerCloses.inc({ protocol: this.name })
  }

  readonly #onHeartbeat = (): void => {
    for (const client of this.clients) {
      if (client.missedPongs >= 2) {
        this.clients.delete(client)
        client.ws.terminate()
        continue
      }
      client.missedPongs++
      client.ws.ping()
    }
  }
}

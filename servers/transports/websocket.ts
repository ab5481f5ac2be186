/**
 * WebSocket transport (`GET /ws?epoch=&since=`), on `ws` with `noServer` upgrades from
 * the shared HTTP server. Each tick is framed once (`Sender.frame`) and the same bytes
 * are written to every socket; with `--deflate` each socket compresses, so the same
 * payload buffer goes through `ws.send` instead.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import * as wsModule from 'ws'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { decodeClientMessage, encodeError, encodePong, wallClock } from '../feed/codec.ts'
import type { FeedTick } from '../feed/feed.ts'
import { FAULTS, fault, type Fault } from '../http/errors.ts'
import { rejectUpgrade } from '../http/upgrade-router.ts'
import { OriginPolicy } from '../http/origin-policy.ts'
import { parseCursorQuery } from '../http/query.ts'
import type { Transport, TransportContext } from './transport.ts'

/** The path the WebSocket endpoint answers on. */
export const WEBSOCKET_PATH = '/ws'

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
}

/** The WebSocket transport. */
export class WebSocketTransport implements Transport {
  readonly name = 'websocket' as const
  readonly #clients = new Set<WebSocketClient>()
  #context: TransportContext | undefined
  #wss: WebSocketServer | undefined
  #heartbeat: NodeJS.Timeout | undefined
  #closing = false
  #originPolicy = new OriginPolicy([])

  get clientCount(): number {
    return this.#clients.size
  }

  attach(context: TransportContext): void {
    this.#context = context
    this.#originPolicy = new OriginPolicy(context.options.allowedOrigins ?? [])
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: context.options.maxPayload,
      perMessageDeflate: context.options.deflate,
    })
    context.upgrades.route(WEBSOCKET_PATH, this.#onUpgrade)
    this.#heartbeat = setInterval(this.#onHeartbeat, context.options.heartbeatMs)
    this.#heartbeat.unref()
  }

  broadcast(tick: FeedTick): void {
    const context = this.#context
    if (context === undefined || this.#clients.size === 0) return
    const { maxBufferedBytes, deflate } = context.options
    let written = 0
    let bytes: number
    if (deflate) {
      for (const client of this.#clients) {
        if (client.paused || client.ws.readyState !== WebSocket.OPEN) continue
        client.ws.send(tick.bytes, { binary: false })
        written++
        if (client.ws.bufferedAmount > maxBufferedBytes) this.#closeSlow(client)
      }
      bytes = written * tick.bytes.length
    } else {
      const frame = Buffer.concat(Sender.frame(tick.bytes, TEXT_FRAME))
      for (const client of this.#clients) {
        if (client.paused || client.ws.readyState !== WebSocket.OPEN) continue
        client.socket.write(frame)
        written++
        if (client.socket.writableLength > maxBufferedBytes) this.#closeSlow(client)
      }
      bytes = written * frame.length
    }
    context.metrics.sent(this.name, written, bytes)
  }

  async close(_reason: 'shutdown'): Promise<void> {
    this.#closing = true
    clearInterval(this.#heartbeat)
    const { close, message } = FAULTS['shutting-down']
    const closed = [...this.#clients].map(
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
    for (const client of this.#clients) client.ws.terminate()
    this.#clients.clear()
    this.#wss?.close()
  }

  readonly #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const context = this.#context
    const wss = this.#wss
    if (context === undefined || wss === undefined) return
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (this.#closing) {
      rejectUpgrade(socket, fault('shutting-down'))
      return
    }
    const verdict = this.#originPolicy.check(request.headers.origin)
    if (!verdict.ok) {
      rejectUpgrade(
        socket,
        fault(
          'forbidden-origin',
          `${verdict.detail}; start the server with --origins including it`,
        ),
      )
      return
    }
    const cursor = parseCursorQuery(Object.fromEntries(url.searchParams))
    if (!cursor.ok) {
      rejectUpgrade(socket, cursor.fault)
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const client: WebSocketClient = { ws, socket, paused: false, pausedAt: 0, missedPongs: 0 }
      ws.on('error', () => {
        // ws has already closed the socket with the right code (1009, 1002, …); nothing to add.
      })
      ws.on('close', () => {
        this.#clients.delete(client)
      })
      ws.on('pong', () => {
        client.missedPongs = 0
      })
      ws.on('message', (data, isBinary) => {
        this.#onMessage(client, data, isBinary)
      })
      // Catch up and join the broadcast in one synchronous step: no tick can fall between.
      this.#sendCatchUp(client, cursor.value)
      this.#clients.add(client)
    })
  }

  #sendCatchUp(
    client: WebSocketClient,
    cursor: Parameters<TransportContext['feed']['catchUp']>[0],
  ): void {
    const context = this.#context
    if (context === undefined) return
    const { messages } = context.feed.catchUp(cursor)
    let bytes = 0
    for (const message of messages) {
      client.ws.send(message)
      bytes += message.length
    }
    context.metrics.sent(this.name, messages.length, bytes)
  }

  #onMessage(client: WebSocketClient, data: RawData, isBinary: boolean): void {
    const context = this.#context
    if (context === undefined) return
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
  }

  #closeSlow(client: WebSocketClient): void {
    this.#clients.delete(client)
    client.ws.close(FAULTS.slow.close, 'slow')
    this.#context?.metrics.slowConsumerCloses.inc({ protocol: this.name })
  }

  readonly #onHeartbeat = (): void => {
    for (const client of this.#clients) {
      if (client.missedPongs >= 2) {
        this.#clients.delete(client)
        client.ws.terminate()
        continue
      }
      client.missedPongs++
      client.ws.ping()
    }
  }
}

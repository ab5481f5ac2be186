/**
 * Seed 000's WebSocket design: every connection gets its own `setInterval` that
 * serializes the current state and sends it to that one socket.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { FAULTS } from '../http/errors.ts'
import type { HandlerGuard } from '../http/handler-guard.ts'
import { SERVER_DEFAULTS } from '../http/options.ts'
import type { NaiveFeed } from './naive-feed.ts'
import type { NaiveMetrics } from './naive-metrics.ts'
import { parseCursor } from './naive-cursor.ts'

/** Handles `GET /ws` upgrades with one timer per connection. */
export class NaiveWebSocket {
  readonly #feed: NaiveFeed
  readonly #metrics: NaiveMetrics
  readonly #guard: HandlerGuard
  readonly #server = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 })

  constructor(feed: NaiveFeed, metrics: NaiveMetrics, guard: HandlerGuard) {
    this.#feed = feed
    this.#metrics = metrics
    this.#guard = guard
  }

  /** Completes the upgrade for a request to `/ws`. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, params: URLSearchParams): void {
    this.#server.handleUpgrade(request, socket, head, (ws) => {
      this.#serve(ws, params)
    })
  }

  #send(ws: WebSocket, text: string): void {
    this.#reply(ws, text)
    this.#metrics.framesSent.inc({ protocol: 'websocket' })
    this.#metrics.bytesSent.inc({ protocol: 'websocket' }, Buffer.byteLength(text))
  }

  /**
   * Writes to one socket within the reference server's bound: over it the peer is closed
   * 4008 `slow`, paused or flooding, so not even the naive design grows without end.
   */
  #reply(ws: WebSocket, text: string): void {
    if (ws.readyState !== ws.OPEN) return
    ws.send(text)
    if (ws.bufferedAmount > SERVER_DEFAULTS.maxBufferedBytes) ws.close(FAULTS.slow.close, 'slow')
  }

  #serve(ws: WebSocket, params: URLSearchParams): void {
    // First of all: bytes that are not valid frames (even pipelined behind the handshake)
    // make ws emit 'error', and an 'error' with no listener ends the process.
    ws.on('error', () => {
      // A reset peer or a protocol error: ws closes the socket; 'close' cleans up.
    })
    const cursor = parseCursor(params.get('epoch'), params.get('since'))
    if (!cursor.ok) {
      ws.send(JSON.stringify({ type: 'error', code: 'bad-cursor', message: cursor.message }))
      ws.close(1008, 'bad cursor')
      return
    }
    this.#metrics.clients.inc({ protocol: 'websocket' })
    let last = this.#feed.currentSeq()
    for (const text of this.#feed.catchUp(cursor.epoch, cursor.since, last)) this.#send(ws, text)
    // The naive part: a timer per connection, the state serialized per connection.
    const timer = setInterval(() => {
      const seq = this.#feed.currentSeq()
      if (seq <= last) return
      last = seq
      this.#send(ws, this.#feed.frame(seq))
    }, this.#feed.periodMs)
    ws.on(
      'message',
      this.#guard.callback(
        'baseline websocket message',
        (raw: RawData, isBinary: boolean) => {
          if (isBinary) {
            ws.close(1003, 'text frames only')
            return
          }
          let message: unknown
          try {
            message = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : '')
          } catch {
            this.#reply(
              ws,
              JSON.stringify({ type: 'error', code: 'bad-json', message: 'message is not JSON' }),
            )
            return
          }
          if (typeof message === 'object' && message !== null && 'type' in message) {
            if (message.type === 'ping' && 'id' in message) {
              this.#reply(ws, JSON.stringify({ type: 'pong', id: message.id, t: Date.now() }))
              return
            }
          }
          this.#reply(
            ws,
            JSON.stringify({
              type: 'error',
              code: 'unknown-type',
              message: 'the baseline answers only {"type":"ping","id":…}',
            }),
          )
        },
        () => {
          ws.close(1011, 'internal error')
        },
      ),
    )
    ws.on('close', () => {
      clearInterval(timer)
      this.#metrics.clients.dec({ protocol: 'websocket' })
    })
  }

  /** Closes every socket with 1001 (going away). */
  close(): void {
    for (const ws of this.#server.clients) ws.close(1001, 'shutdown')
    this.#server.close()
  }
}

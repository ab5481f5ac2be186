/**
 * Every open lab connection, whatever the lab: WebSocket peers and SSE sessions, the
 * connection cap, the heartbeat (WebSocket ping, SSE keepalive comment) and the graceful
 * close. Labs see only {@link LabPeer}s; this is where sockets and streams become peers.
 */
import type { Response } from 'express'
import type { RawData, WebSocket } from 'ws'
import type { HandlerGuard } from '../http/handler-guard.ts'
import type { LabOptions } from './lab-defaults.ts'
import type { Lab } from './lab.ts'
import type { LabPeer } from './lab-peer.ts'
import { PreparedMessage } from './prepared-message.ts'
import { SsePeer } from './sse-peer.ts'
import { WebSocketPeer } from './websocket-peer.ts'

/** The open connections of every lab. */
export class LabConnections {
  readonly #settings: LabOptions
  readonly #guard: HandlerGuard
  readonly #sessions = new Map<string, { peer: SsePeer; lab: Lab }>()
  readonly #sockets = new Set<WebSocketPeer>()
  readonly #heartbeat: NodeJS.Timeout
  readonly #keepalive: NodeJS.Timeout
  #closing = false

  constructor(settings: LabOptions, guard: HandlerGuard) {
    this.#settings = settings
    this.#guard = guard
    this.#heartbeat = setInterval(() => {
      for (const peer of this.#sockets) {
        if (!peer.alive) {
          peer.socket.terminate()
          continue
        }
        peer.alive = false
        peer.socket.ping()
      }
    }, settings.heartbeatMs)
    this.#heartbeat.unref()
    this.#keepalive = setInterval(() => {
      for (const { peer } of this.#sessions.values()) peer.keepalive()
    }, settings.sseKeepaliveMs)
    this.#keepalive.unref()
  }

  /** Whether a new connection must be refused: closing, or the cap reached. */
  get full(): boolean {
    return (
      this.#closing || this.#sockets.size + this.#sessions.size >= this.#settings.maxConnections
    )
  }

  /** The SSE session `id` of `lab`, or undefined. */
  session(id: string, lab: Lab): SsePeer | undefined {
    const session = this.#sessions.get(id)
    return session?.lab === lab ? session.peer : undefined
  }

  /** What every peer is held to: its message rate and burst, and its unsent-bytes bound. */
  #peerLimits(): [ratePerS: number, burst: number, slowClientBytes: number] {
    const settings = this.#settings
    return [settings.messageRatePerS, settings.messageBurst, settings.slowClientBytes]
  }

  /** Takes an upgraded socket of `lab`: refused with 1001 or 1013, or a peer until it closes. */
  acceptWebSocket(socket: WebSocket, params: URLSearchParams, lab: Lab): void {
    const peer = new WebSocketPeer(socket, ...this.#peerLimits())
    // Every socket gets an error listener: an unhandled 'error' would end the process.
    socket.on('error', () => {
      // 'close' follows; the lab releases the peer there.
    })
    if (this.#closing) {
      socket.close(1001, 'server shutting down')
      return
    }
    if (this.full) {
      // 1013 "try again later"; the reason must fit a control frame (123 bytes).
      socket.close(1013, 'too many lab connections')
      return
    }
    this.#sockets.add(peer)
    socket.on('pong', () => {
      peer.alive = true
    })
    socket.on(
      'message',
      this.#guard.callback(
        `lab ${lab.name} message`,
        (data: RawData, isBinary: boolean) => {
          const bytes = Array.isArray(data)
            ? Buffer.concat(data)
            : Buffer.isBuffer(data)
              ? data
              : Buffer.from(data)
          const error = isBinary
            ? lab.receiveBinary(peer, bytes)
            : lab.receive(peer, bytes.toString())
          if (error !== undefined) peer.send(new PreparedMessage(error))
        },
        () => {
          socket.close(1011, 'internal error')
        },
      ),
    )
    socket.on('close', () => {
      this.#sockets.delete(peer)
      lab.disconnect(peer)
    })
    hello(peer, lab)
    lab.connect(peer, params)
  }

  /** Opens an SSE stream of `lab` on `response` (the caller checked {@link full}). */
  openStream(response: Response, params: URLSearchParams, lab: Lab): void {
    const peer = new SsePeer(response, ...this.#peerLimits())
    this.#sessions.set(peer.id, { peer, lab })
    response.on('close', () => {
      this.#sessions.delete(peer.id)
      lab.disconnect(peer)
    })
    hello(peer, lab)
    lab.connect(peer, params)
  }

  /**
   * Ends every stream and closes every socket with 1001, cutting off those that do not
   * answer within `closeTimeoutMs`; stops the timers.
   */
  async close(): Promise<void> {
    this.#closing = true
    clearInterval(this.#heartbeat)
    clearInterval(this.#keepalive)
    for (const { peer } of this.#sessions.values()) peer.end()
    const closed = [...this.#sockets].map(
      (peer) =>
        new Promise<void>((resolve) => {
          if (peer.socket.readyState === peer.socket.CLOSED) {
            resolve()
            return
          }
          peer.socket.once('close', () => {
            resolve()
          })
          peer.socket.close(1001, 'server shutting down')
        }),
    )
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        resolve('timeout')
      }, this.#settings.closeTimeoutMs)
    })
    const outcome = await Promise.race([Promise.all(closed), timeout])
    clearTimeout(timer)
    // Peers that never answered the close handshake are cut off.
    if (outcome === 'timeout') for (const peer of this.#sockets) peer.socket.terminate()
  }
}

/** The first message of every connection: which lab, which session, which transport. */
function hello(peer: LabPeer, lab: Lab): void {
  peer.send(
    new PreparedMessage({
      type: 'hello',
      lab: lab.name,
      session: peer.id,
      transport: peer.transport,
    }),
  )
}

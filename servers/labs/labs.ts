/**
 * The labs' one entry point: an express router (SSE streams, POST upstream, REST views),
 * an upgrade handler for the WebSocket variants, and a graceful close. The lead mounts the
 * router at `/labs` and calls {@link Labs.handleUpgrade} for every upgrade request.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import express, { type NextFunction, type Request, type Response } from 'express'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { LAB_DEFAULTS, type LabOptions } from './lab-defaults.ts'
import { LAB_ERRORS, labError, type LabError } from './lab-errors.ts'
import { isLabName, LAB_NAMES, type Lab, type LabName } from './lab.ts'
import type { LabPeer } from './lab-peer.ts'
import { PreparedMessage } from './prepared-message.ts'
import { LAB_STREAM_HEADERS, SsePeer } from './sse-peer.ts'
import { WebSocketPeer } from './websocket-peer.ts'
import { createEchoLab } from './echo-lab.ts'
import { createBroadcastLab } from './broadcast-lab.ts'
import { createChatLab } from './chat-lab.ts'
import { createWhiteboardLab } from './whiteboard-lab.ts'
import { LAB_CATALOG } from './lab-catalog.ts'
import { KeyedRateLimiter } from '../http/rate-limit.ts'
import { parseTarget } from '../http/request-target.ts'
import { answerRequest, HandlerGuard } from '../http/handler-guard.ts'
import { libraryClientError } from '../http/library-faults.ts'
import { Registry } from 'prom-client'
import type { OriginPolicy } from '../http/origin-policy.ts'

/** The labs, ready to mount. */
export interface Labs {
  /** Mount at `/labs`: `GET /`, `GET /:lab/sse`, `POST /:lab`, REST views of rooms. */
  readonly router: express.Router
  /**
   * Takes an upgrade request when its path is `/labs/<lab>` and returns true; otherwise
   * returns false and leaves the socket alone.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean
  /** Closes every lab connection (WebSocket 1001, SSE streams ended) and stops timers. */
  close(): Promise<void>
}

/** The path prefix the router is mounted at; upgrade paths are matched against it. */
export const LABS_PATH = '/labs'

/** What {@link createLabs} takes: bounds over {@link LAB_DEFAULTS}, and an Origin check. */
export interface CreateLabsOptions extends Partial<LabOptions> {
  /**
   * Checks the `Origin` of every upgrade, stream and POST (the server's allowlist). Absent,
   * every origin is allowed, as for local study.
   */
  readonly originPolicy?: Pick<OriginPolicy, 'check'>
  /**
   * Guards the message handlers (the server's guard, so its counter sees them). Absent, the
   * labs keep a guard of their own whose counter nobody scrapes.
   */
  readonly guard?: HandlerGuard
}

/** Creates the labs. Options default to {@link LAB_DEFAULTS}. */
export function createLabs(options: CreateLabsOptions = {}): Labs {
  const { originPolicy, guard = new HandlerGuard(new Registry()), ...bounds } = options
  const settings: LabOptions = { ...LAB_DEFAULTS, ...bounds }
  const chat = createChatLab(settings)
  const whiteboard = createWhiteboardLab(settings)
  const labs: Readonly<Record<LabName, Lab>> = {
    echo: createEchoLab(),
    broadcast: createBroadcastLab(),
    chat,
    whiteboard,
  }
  const sessions = new Map<string, { peer: SsePeer; lab: Lab }>()
  const sockets = new Set<WebSocketPeer>()
  const anonymousPosts = new KeyedRateLimiter(
    settings.messageRatePerS,
    settings.messageBurst,
    10_000,
  )
  let closing = false

  const wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxPayloadBytes })

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

  function openCount(): number {
    return sockets.size + sessions.size
  }

  function acceptWebSocket(socket: WebSocket, params: URLSearchParams, lab: Lab): void {
    const peer = new WebSocketPeer(
      socket,
      settings.messageRatePerS,
      settings.messageBurst,
      settings.slowClientBytes,
    )
    // Every socket gets an error listener: an unhandled 'error' would end the process.
    socket.on('error', () => {
      // 'close' follows; the lab releases the peer there.
    })
    if (closing) {
      socket.close(1001, 'server shutting down')
      return
    }
    if (openCount() >= settings.maxConnections) {
      // 1013 "try again later"; the reason must fit a control frame (123 bytes).
      socket.close(1013, 'too many lab connections')
      return
    }
    sockets.add(peer)
    socket.on('pong', () => {
      peer.alive = true
    })
    socket.on(
      'message',
      guard.callback(
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
      sockets.delete(peer)
      lab.disconnect(peer)
    })
    hello(peer, lab)
    lab.connect(peer, params)
  }

  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    // The upgrade router refuses an unparsable target before asking any claim.
    const target = parseTarget(request.url)
    if (!target.ok) return false
    const { pathname, query } = target.value
    const prefix = `${LABS_PATH}/`
    if (!pathname.startsWith(prefix)) return false
    const name = pathname.slice(prefix.length).replace(/\/+$/, '')
    if (!isLabName(name)) return false
    const lab = labs[name]
    // A socket error before or during the handshake must not become an uncaught exception.
    socket.on('error', () => {
      socket.destroy()
    })
    const refused = originRefusal(request)
    if (refused !== undefined) {
      const body = JSON.stringify(refused)
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${String(Buffer.byteLength(body))}\r\nConnection: close\r\n\r\n${body}`,
      )
      return true
    }
    wss.handleUpgrade(request, socket, head, (webSocket) => {
      acceptWebSocket(webSocket, new URLSearchParams(query), lab)
    })
    return true
  }

  function sendError(response: Response, error: LabError): void {
    response.status(LAB_ERRORS[error.code].status).json(error)
  }

  function originRefusal(request: IncomingMessage): LabError | undefined {
    if (originPolicy === undefined) return undefined
    const verdict = originPolicy.check(request.headers.origin)
    return verdict.ok ? undefined : labError('origin-refused', verdict.detail)
  }

  const router = express.Router()

  // Streams and POSTs answer to the same Origin allowlist as the upgrades.
  router.use((request, response, next) => {
    const refused = originRefusal(request)
    if (refused === undefined) {
      next()
      return
    }
    sendError(response, refused)
  })

  router.get('/', (_request, response) => {
    response.json({
      labs: LAB_CATALOG.map((entry) => ({
        name: entry.name,
        status: entry.status,
        summary: entry.summary,
      })),
      endpoints: LAB_NAMES.map((name) => ({
        lab: name,
        websocket: `${LABS_PATH}/${name}`,
        sse: `${LABS_PATH}/${name}/sse`,
        post: `${LABS_PATH}/${name}?session=<id>`,
      })),
    })
  })

  router.get('/chat/rooms', (_request, response) => {
    response.json({ rooms: chat.rooms() })
  })

  router.get('/chat/rooms/:room', (request, response) => {
    const room = chat.room(request.params.room)
    if (room === undefined) {
      sendError(response, labError('bad-room-name', `no room "${request.params.room}" is open`))
      return
    }
    response.json(room)
  })

  router.get('/whiteboard/rooms/:room', (request, response) => {
    const board = whiteboard.board(request.params.room)
    if (board === undefined) {
      sendError(response, labError('bad-room-name', `no board "${request.params.room}" is open`))
      return
    }
    response.json(board)
  })

  router.get('/:lab/sse', (request, response) => {
    const name = request.params.lab
    if (!isLabName(name)) {
      sendError(response, labError('unknown-lab', `no lab "${name}": GET /labs lists the labs`))
      return
    }
    if (closing || openCount() >= settings.maxConnections) {
      sendError(response, labError('too-many-connections'))
      return
    }
    if (request.method === 'HEAD') {
      // The headers a GET gets and no body; a held stream would block what is pipelined after.
      response.writeHead(200, LAB_STREAM_HEADERS).end()
      return
    }
    const lab = labs[name]
    const peer = new SsePeer(
      response,
      settings.messageRatePerS,
      settings.messageBurst,
      settings.slowClientBytes,
    )
    sessions.set(peer.id, { peer, lab })
    response.on('close', () => {
      sessions.delete(peer.id)
      lab.disconnect(peer)
    })
    hello(peer, lab)
    // Express has routed this target, so it parses; an unparsable one would carry no query.
    const target = parseTarget(request.originalUrl)
    lab.connect(peer, new URLSearchParams(target.ok ? target.value.query : ''))
  })

  router.post(
    '/:lab',
    express.text({ type: () => true, limit: settings.maxPayloadBytes }),
    (request, response) => {
      const name = request.params.lab
      if (typeof name !== 'string' || !isLabName(name)) {
        sendError(response, labError('unknown-lab', `no lab "${name}": GET /labs lists the labs`))
        return
      }
      const lab = labs[name]
      const body: unknown = request.body
      // A body parser mounted before the router may have read the body already.
      const text =
        typeof body === 'string'
          ? body
          : Buffer.isBuffer(body)
            ? body.toString()
            : body !== undefined && body !== null && typeof body === 'object'
              ? JSON.stringify(body)
              : ''
      const sessionId = request.query['session']
      let peer: LabPeer | undefined
      if (sessionId === undefined) {
        if (!lab.anonymousPosts) {
          sendError(response, labError('session-missing'))
          return
        }
        const verdict = anonymousPosts.take(request.socket.remoteAddress ?? 'unknown')
        if (!verdict.ok) {
          response.setHeader('Retry-After', String(verdict.retryAfterS))
          sendError(response, labError('rate-limited'))
          return
        }
      } else {
        const session = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined
        if (session?.lab !== lab) {
          sendError(response, labError('unknown-session'))
          return
        }
        peer = session.peer
      }
      const error = lab.receive(peer, text)
      if (error !== undefined) {
        sendError(response, error)
        return
      }
      response.status(202).json({ ok: true })
    },
  )

  router.use((_request, response) => {
    sendError(response, labError('unknown-lab'))
  })

  // Library faults (too large, bad encoding, a bad escape in a param) become the lab's JSON
  // errors; anything else is a bug of ours: 500, logged and counted by the guard.
  router.use((error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    const clientError = libraryClientError(error)
    if (clientError === null) {
      guard.caught('lab route', error)
      answerRequest(response)
      return
    }
    if (response.headersSent) {
      response.destroy()
      return
    }
    if (clientError.kind === 'too-big') {
      sendError(
        response,
        labError(
          'too-large',
          `the body passes ${settings.maxPayloadBytes} bytes, the most a lab POST may carry`,
        ),
      )
      return
    }
    sendError(
      response,
      labError(
        'invalid-message',
        clientError.kind === 'target'
          ? `a %-escape in the path does not decode (${clientError.detail})`
          : `the request body could not be read (${clientError.detail})`,
      ),
    )
  })

  const heartbeat = setInterval(() => {
    for (const peer of sockets) {
      if (!peer.alive) {
        peer.socket.terminate()
        continue
      }
      peer.alive = false
      peer.socket.ping()
    }
  }, settings.heartbeatMs)
  heartbeat.unref()

  const keepalive = setInterval(() => {
    for (const { peer } of sessions.values()) peer.keepalive()
  }, settings.sseKeepaliveMs)
  keepalive.unref()

  async function close(): Promise<void> {
    closing = true
    clearInterval(heartbeat)
    clearInterval(keepalive)
    for (const { peer } of sessions.values()) peer.end()
    const closed = [...sockets].map(
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
      }, settings.closeTimeoutMs)
    })
    const outcome = await Promise.race([Promise.all(closed), timeout])
    clearTimeout(timer)
    // Peers that never answered the close handshake are cut off.
    if (outcome === 'timeout') for (const peer of sockets) peer.socket.terminate()
    await new Promise<void>((resolve) => {
      wss.close(() => {
        resolve()
      })
    })
  }

  return { router, handleUpgrade, close }
}

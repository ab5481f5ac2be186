/**
 * The labs' one entry point: an express router (SSE streams, POST upstream, REST views),
 * an upgrade handler for the WebSocket variants, and a graceful close. The lead mounts the
 * router at `/labs` and calls {@link Labs.handleUpgrade} for every upgrade request.
 *
 * Composition only: each lab is its own module (`*-lab.ts`), the open connections of all of
 * them live in {@link LabConnections}, and the HTTP side in {@link createLabRouter}.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type express from 'express'
import { Registry } from 'prom-client'
import { WebSocketServer } from 'ws'
import { HandlerGuard } from '../http/handler-guard.ts'
import type { OriginPolicy } from '../http/origin-policy.ts'
import { parseTarget } from '../http/request-target.ts'
import { endUpgrade } from '../http/upgrade-router.ts'
import { createBroadcastLab } from './broadcast-lab.ts'
import { createChatLab } from './chat-lab.ts'
import { createEchoLab } from './echo-lab.ts'
import { LabConnections } from './lab-connections.ts'
import { LAB_DEFAULTS, type LabOptions } from './lab-defaults.ts'
import { LAB_ERRORS, labError, type LabError } from './lab-errors.ts'
import { createLabRouter, LABS_PATH } from './lab-router.ts'
import { isLabName, type Lab, type LabName } from './lab.ts'
import { createWhiteboardLab } from './whiteboard-lab.ts'

export { LABS_PATH } from './lab-router.ts'

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
  const labs: Readonly<Record<LabName, Lab>> = {
    echo: createEchoLab(),
    broadcast: createBroadcastLab(),
    chat: createChatLab(settings),
    whiteboard: createWhiteboardLab(settings),
  }
  const connections = new LabConnections(settings, guard)
  const wss = new WebSocketServer({ noServer: true, maxPayload: settings.maxPayloadBytes })
  const originRefusal = (origin: string | undefined): LabError | undefined => {
    if (originPolicy === undefined) return undefined
    const verdict = originPolicy.check(origin)
    return verdict.ok ? undefined : labError('origin-refused', verdict.detail)
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
    // A socket error before or during the handshake must not become an uncaught exception.
    socket.on('error', () => {
      socket.destroy()
    })
    const refused = originRefusal(request.headers.origin)
    if (refused !== undefined) {
      endUpgrade(socket, LAB_ERRORS['origin-refused'].status, JSON.stringify(refused))
      return true
    }
    wss.handleUpgrade(request, socket, head, (webSocket) => {
      connections.acceptWebSocket(webSocket, new URLSearchParams(query), labs[name])
    })
    return true
  }

  return {
    router: createLabRouter({ labs, connections, settings, guard, originRefusal }),
    handleUpgrade,
    async close() {
      await connections.close()
      await new Promise<void>((resolve) => {
        wss.close(() => {
          resolve()
        })
      })
    },
  }
}

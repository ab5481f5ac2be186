/**
 * The express 5 app: REST views of the feed, the upstream endpoints of SSE and poll
 * clients, health and metrics, the transports' routes and the built site.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import express, {
  type ErrorRequestHandler,
  type Express,
  type Response,
  type Router,
} from 'express'
import { decodeClientMessage, encodePong, wallClock } from '../feed/codec.ts'
import type { Feed } from '../feed/feed.ts'
import type { ControlSessions } from '../transports/control-sessions.ts'
import { redactUrl } from './auth.ts'
import { FAULTS, fault, sendFault } from './errors.ts'
import { answerRequest, type HandlerGuard } from './handler-guard.ts'
import { faultOfLibraryError, libraryClientError } from './library-faults.ts'
import type { ServerMetrics } from './metrics.ts'
import type { LiveLink } from './options.ts'
import { parseSessionId } from './query.ts'

/** The built site, served at `/` when present. */
export const SITE_DIST = fileURLToPath(new URL('../../site/dist/', import.meta.url))

/** What the app serves from. */
export interface AppContext {
  feed: Feed
  metrics: ServerMetrics
  sessions: ControlSessions
  /** Largest POST body, bytes. */
  maxPayload: number
  serveSite: boolean
  /** Open clients per protocol, for `/healthz`. */
  clientCounts: () => Record<string, number>
  /** Counts and logs the throws of route handlers (`express route`). */
  guard: HandlerGuard
  /** The emulated links in front of this server, listed at `GET /api/links`. */
  liveLinks: readonly LiveLink[]
  /** Further routers mounted before the site and the 404, e.g. the labs at `/labs`. */
  mounts?: readonly { path: string; router: Router }[]
}

const json = (res: Response, status: number, text: string): void => {
  res.status(status).type('application/json').send(text)
}

const methodNotAllowed =
  (allow: string, what: string) =>
  (_req: unknown, res: Response): void => {
    sendFault(res, fault('method-not-allowed', `${allow} only: ${what}`), { Allow: allow })
  }

/**
 * Build the app. The transports' routes go on `transportRouter`, mounted before the
 * static site and the 404 fallback.
 */
export function createApp(context: AppContext): { app: Express; transportRouter: Router } {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  readRoutes(app, context)
  messageRoutes(app, context)
  operationsRoutes(app, context)
  const transportRouter = express.Router()
  app.use(transportRouter)
  // The site before the mounts: its lab pages live at /labs/<slug>/ beside the lab
  // endpoints (/labs/echo, /labs/chat…); a path with no built file falls through to them.
  if (context.serveSite && existsSync(SITE_DIST)) app.use(express.static(SITE_DIST))
  for (const { path, router } of context.mounts ?? []) app.use(path, router)
  app.use((_req, res) => {
    sendFault(res, fault('not-found'))
  })
  app.use(libraryErrors(context))
  return { app, transportRouter }
}

/** Read-only views of the feed: the scored events, one event, the snapshot, the emulated links. */
function readRoutes(app: Express, context: AppContext): void {
  const { feed } = context
  app
    .route('/api/events')
    .get((_req, res) => {
      json(res, 200, JSON.stringify({ epoch: feed.epoch, seq: feed.seq, events: feed.events() }))
    })
    .all(methodNotAllowed('GET', 'lists the scored events'))
  app
    .route('/api/events/:id')
    .get((req, res) => {
      const event = feed.events().find((candidate) => candidate.id === req.params.id)
      if (event === undefined) {
        sendFault(
          res,
          fault(
            'unknown-event',
            `no event ${JSON.stringify(req.params.id.slice(0, 40))}; GET /api/events lists them`,
          ),
        )
        return
      }
      json(res, 200, JSON.stringify(event))
    })
    .all(methodNotAllowed('GET', 'reads one scored event'))
  app
    .route('/api/feed')
    .get((_req, res) => {
      json(res, 200, feed.snapshot())
    })
    .all(methodNotAllowed('GET', 'reads the current snapshot'))

  // The links the live page may switch to; the same list through any of them.
  const links = JSON.stringify({ links: context.liveLinks })
  app
    .route('/api/links')
    .get((_req, res) => {
      json(res, 200, links)
    })
    .all(methodNotAllowed('GET', 'lists the emulated links in front of this server'))
}

/** The POSTs: a ping answered with a pong, a control message to a stream's or poll's session. */
function messageRoutes(app: Express, context: AppContext): void {
  const { feed, sessions } = context
  // Bodies are read as text and decoded by the codec, so every bad body gets the same errors.
  const body = express.text({ type: () => true, limit: context.maxPayload })
  app
    .route('/api/ping')
    .post(body, (req, res) => {
      const decoded = decodeRouteBody(req.body, 'ping')
      if (!decoded.ok) {
        sendFault(res, decoded.fault)
        return
      }
      const { message, session } = decoded
      if (message.type !== 'ping') return
      if (session !== undefined && sessions.get(session) === undefined) {
        sendFault(res, fault('unknown-session'))
        return
      }
      json(res, 200, encodePong(message.id, wallClock()))
    })
    .all(methodNotAllowed('POST', 'send {"type":"ping","id":…}'))
  app
    .route('/api/control')
    .post(body, (req, res) => {
      const decoded = decodeRouteBody(req.body, 'control')
      if (!decoded.ok) {
        sendFault(res, decoded.fault)
        return
      }
      const { message, session } = decoded
      if (message.type !== 'control') return
      if (session === undefined) {
        sendFault(
          res,
          fault('bad-session', 'control needs "session": the id your stream or poll announced'),
        )
        return
      }
      const target = sessions.get(session)
      if (target === undefined) {
        sendFault(res, fault('unknown-session'))
        return
      }
      if (!target.control(message.action)) {
        sendFault(
          res,
          fault(
            'bad-message',
            `"${message.action}" does not apply to a ${target.protocol} session: a poll has no standing connection to drop; abort the request instead`,
          ),
        )
        return
      }
      json(res, 200, JSON.stringify({ session, action: message.action, seq: feed.seq }))
    })
    .all(
      methodNotAllowed(
        'POST',
        'send {"type":"control","action":"start"|"stop"|"drop","session":…}',
      ),
    )
}

/** For operators: `/healthz` and Prometheus `/metrics`. */
function operationsRoutes(app: Express, context: AppContext): void {
  const { feed, metrics } = context
  app
    .route('/healthz')
    .get((_req, res) => {
      json(
        res,
        200,
        JSON.stringify({
          status: 'ok',
          epoch: feed.epoch,
          seq: feed.seq,
          clients: context.clientCounts(),
        }),
      )
    })
    .all(methodNotAllowed('GET', 'health check'))
  app
    .route('/metrics')
    .get(async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics())
    })
    .all(methodNotAllowed('GET', 'Prometheus metrics'))
}

/**
 * The last handler: a library's 4xx (body-parser, the router) is the peer's fault, answered
 * with its row of the fault table and one warning; anything else is a bug, 500 and the guard.
 */
function libraryErrors(context: AppContext): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const type = (error as { type?: unknown } | null)?.type
    if (type === 'request.aborted') {
      // The peer went away mid-body: its fault, not ours, and nobody is left to answer.
      return
    }
    const clientError = libraryClientError(error)
    if (clientError === null) {
      context.guard.caught('express route', error, req.socket.remoteAddress)
      answerRequest(res)
      return
    }
    const failure = faultOfLibraryError(clientError, context.maxPayload)
    // The peer's mistake: one line, no stack.
    context.guard.log.warn(
      {
        handler: 'express route',
        peer: req.socket.remoteAddress,
        code: failure.code,
        status: FAULTS[failure.code].status,
        request: `${req.method} ${redactUrl(req.originalUrl).slice(0, 100)}`,
      },
      `client error: ${clientError.detail}`,
    )
    if (res.headersSent) res.destroy()
    else sendFault(res, failure)
  }
}

type RouteBody =
  | {
      ok: true
      message: ReturnType<typeof decodeClientMessage> extends infer R
        ? R extends { ok: true; message: infer M }
          ? M
          : never
        : never
      session: string | undefined
    }
  | { ok: false; fault: ReturnType<typeof fault> }

/** Decode a POST body as the route's message type, with an optional `session`. */
function decodeRouteBody(text: unknown, type: 'ping' | 'control'): RouteBody {
  let value: unknown
  try {
    value = JSON.parse(typeof text === 'string' ? text : '')
  } catch {
    return { ok: false, fault: fault('bad-json', 'the body is not valid JSON') }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, fault: fault('bad-message', 'the body must be a JSON object') }
  }
  const record = value as Record<string, unknown>
  const session = parseSessionId(record['session'])
  if (!session.ok) return session
  const decoded = decodeClientMessage({ type, ...record })
  if (!decoded.ok) return { ok: false, fault: fault(decoded.code, decoded.message) }
  if (decoded.message.type !== type) {
    return { ok: false, fault: fault('unknown-type', `this endpoint takes "${type}" messages`) }
  }
  return { ok: true, message: decoded.message, session: session.value }
}

/**
 * The labs' HTTP side, mounted at `/labs`: the catalogue, each lab's read-only views, SSE
 * streams, POST upstream, and the lab's JSON faults for everything that goes wrong.
 */
import express, { type NextFunction, type Request, type Response } from 'express'
import { answerRequest, type HandlerGuard } from '../http/handler-guard.ts'
import { libraryClientError } from '../http/library-faults.ts'
import { KeyedRateLimiter } from '../http/rate-limit.ts'
import { parseTarget } from '../http/request-target.ts'
import { LAB_CATALOG } from './lab-catalog.ts'
import type { LabConnections } from './lab-connections.ts'
import type { LabOptions } from './lab-defaults.ts'
import { isLabError, LAB_ERRORS, labError, type LabError } from './lab-errors.ts'
import type { LabPeer } from './lab-peer.ts'
import { isLabName, LAB_NAMES, type Lab, type LabName } from './lab.ts'
import { LAB_STREAM_HEADERS } from './sse-peer.ts'

/** The path prefix the router is mounted at; upgrade paths are matched against it. */
export const LABS_PATH = '/labs'

/** What the router serves from. */
export interface LabRouterParts {
  readonly labs: Readonly<Record<LabName, Lab>>
  readonly connections: LabConnections
  readonly settings: LabOptions
  readonly guard: HandlerGuard
  /** The fault for a request whose `Origin` the server's allowlist refuses, or undefined. */
  readonly originRefusal: (origin: string | undefined) => LabError | undefined
}

const sendError = (response: Response, error: LabError): void => {
  response.status(LAB_ERRORS[error.code].status).json(error)
}

/** The router of every lab. */
export function createLabRouter(parts: LabRouterParts): express.Router {
  const router = express.Router()
  // Streams and POSTs answer to the same Origin allowlist as the upgrades.
  router.use((request, response, next) => {
    const refused = parts.originRefusal(request.headers.origin)
    if (refused === undefined) next()
    else sendError(response, refused)
  })
  router.get('/', (_request, response) => {
    response.json({
      labs: LAB_CATALOG.map(({ name, status, summary }) => ({ name, status, summary })),
      endpoints: LAB_NAMES.map((name) => ({
        lab: name,
        websocket: `${LABS_PATH}/${name}`,
        sse: `${LABS_PATH}/${name}/sse`,
        post: `${LABS_PATH}/${name}?session=<id>`,
      })),
    })
  })
  for (const lab of Object.values(parts.labs))
    for (const [path, view] of Object.entries(lab.views ?? {}))
      router.get(`/${lab.name}/${path}`, (request, response) => {
        const body = view(request.params)
        if (isLabError(body)) sendError(response, body)
        else response.json(body)
      })
  router.get('/:lab/sse', (request, response) => {
    openStream(parts, request, response)
  })
  router.post(
    '/:lab',
    express.text({ type: () => true, limit: parts.settings.maxPayloadBytes }),
    postMessage(parts),
  )
  router.use((_request, response) => {
    sendError(response, labError('unknown-lab'))
  })
  router.use(libraryFaults(parts))
  return router
}

/** The lab the request's `:lab` names; undefined, and the request answered, when none. */
function labOf(parts: LabRouterParts, request: Request, response: Response): Lab | undefined {
  const name = request.params['lab']
  if (typeof name === 'string' && isLabName(name)) return parts.labs[name]
  sendError(response, labError('unknown-lab', `no lab "${String(name)}": GET /labs lists the labs`))
  return undefined
}

function openStream(parts: LabRouterParts, request: Request, response: Response): void {
  const lab = labOf(parts, request, response)
  if (lab === undefined) return
  if (parts.connections.full) {
    sendError(response, labError('too-many-connections'))
    return
  }
  if (request.method === 'HEAD') {
    // The headers a GET gets and no body; a held stream would block what is pipelined after.
    response.writeHead(200, LAB_STREAM_HEADERS).end()
    return
  }
  // Express has routed this target, so it parses; an unparsable one would carry no query.
  const target = parseTarget(request.originalUrl)
  parts.connections.openStream(
    response,
    new URLSearchParams(target.ok ? target.value.query : ''),
    lab,
  )
}

/** `POST /labs/<lab>[?session=<id>]`: one message into a lab, from a stream's session or anyone. */
function postMessage(parts: LabRouterParts): (request: Request, response: Response) => void {
  const anonymousPosts = new KeyedRateLimiter(
    parts.settings.messageRatePerS,
    parts.settings.messageBurst,
    10_000,
  )
  return (request, response) => {
    const lab = labOf(parts, request, response)
    if (lab === undefined) return
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
      peer = typeof sessionId === 'string' ? parts.connections.session(sessionId, lab) : undefined
      if (peer === undefined) {
        sendError(response, labError('unknown-session'))
        return
      }
    }
    const error = lab.receive(peer, bodyText(request.body))
    if (error !== undefined) sendError(response, error)
    else response.status(202).json({ ok: true })
  }
}

/** A POST body as text; a body parser mounted before the router may have read it already. */
function bodyText(body: unknown): string {
  if (typeof body === 'string') return body
  if (Buffer.isBuffer(body)) return body.toString()
  if (body !== undefined && body !== null && typeof body === 'object') return JSON.stringify(body)
  return ''
}

/**
 * Library faults (too large, bad encoding, a bad escape in a param) become the lab's JSON
 * errors; anything else is a bug of ours: 500, logged and counted by the guard.
 */
function libraryFaults(
  parts: LabRouterParts,
): (error: unknown, request: Request, response: Response, next: NextFunction) => void {
  return (error, request, response, _next) => {
    const clientError = libraryClientError(error)
    if (clientError === null) {
      parts.guard.caught('lab route', error, request.socket.remoteAddress)
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
          `the body passes ${parts.settings.maxPayloadBytes} bytes, the most a lab POST may carry`,
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
  }
}

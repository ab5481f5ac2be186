/**
 * Routes served on plain `node:http`, before express: the poll endpoints, which run once
 * per request at thousands of requests per second. Express costs each request a prototype
 * swap of `req` and `res`, a walk of its router and its own query parsing; here a request
 * is one map lookup and `querystring.parse`, the parser express itself uses ("simple"). A
 * target express would parse differently (fragment, escapes, dot segments) is left to
 * express, where the same handler is mounted, so every request gets the same answer.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { parse as parseQuery } from 'node:querystring'
import type { Router } from 'express'
import { fault, sendFault, writeFaultReply } from './errors.ts'
import { answerRequest, type HandlerGuard } from './handler-guard.ts'
import { plainTarget, routePath } from './route-path.ts'

/** Serves one request; `query` is parsed as express's `req.query` would be. */
export type PlainHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  query: Record<string, unknown>,
) => void

interface PlainRoute {
  readonly handler: PlainHandler
  /** The 405 message for other methods, e.g. `GET /poll/long polls the feed`. */
  readonly usage: string
}

/** GET routes answered before express. */
export class PlainRoutes {
  readonly #routes = new Map<string, PlainRoute>()
  readonly #router: Router
  readonly #guard: HandlerGuard

  /**
   * @param router - The express router the same handlers are mounted on for other targets.
   * @param guard - Logs and counts a throwing handler (`poll route`).
   */
  constructor(router: Router, guard: HandlerGuard) {
    this.#router = router
    this.#guard = guard
  }

  /**
   * Serve `GET` (and `HEAD`, as express does) of `path` with `handler`; any other method
   * gets 405 `method-not-allowed` with `Allow: GET` and `usage` as its message.
   *
   * @throws TypeError when `path` is taken or not in canonical form (lower case, no trailing slash).
   */
  get(path: string, handler: PlainHandler, usage: string): void {
    if (routePath(path) !== path || this.#routes.has(path)) {
      throw new TypeError(
        `PlainRoutes.get: ${path} is taken or not a lower-case path without trailing slash`,
      )
    }
    this.#routes.set(path, { handler, usage })
    this.#router
      .route(path)
      .get((req, res) => {
        handler(req, res, req.query)
      })
      .all((_req, res) => {
        sendFault(res, fault('method-not-allowed', usage), { Allow: 'GET' })
      })
  }

  /** The request listener: a plain target of a registered path is served here, the rest by `fallback`. */
  listener(fallback: RequestListener): RequestListener {
    return (req, res) => {
      const target = plainTarget(req.url ?? '/')
      const route = target === null ? undefined : this.#routes.get(target.path)
      if (target === null || route === undefined) {
        fallback(req, res)
        return
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        writeFaultReply(res, fault('method-not-allowed', route.usage), { Allow: 'GET' })
        return
      }
      try {
        route.handler(req, res, parseQuery(target.query))
      } catch (error) {
        // What express's error handler does: log, count, answer 500, keep the process up.
        this.#guard.caught('poll route', error)
        answerRequest(res)
      }
    }
  }
}

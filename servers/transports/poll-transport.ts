/**
 * What both polls share: the route served before express, the checks every poll request
 * passes in one order (closing → cursor → the transport's own parameters → session → track
 * the socket), the reply bodies and the sessions. A poll transport adds how it answers:
 * at once (short poll) or when the next tick comes (long poll).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Cursor } from '../feed/history-ring.ts'
import { fault, writeFaultReply } from '../http/errors.ts'
import { parseCursorQuery, type Parsed } from '../http/query.ts'
import { PollBodies, PollClients, type PollSession } from './poll-replies.ts'
import { PROTOCOL_TABLE } from './protocols.ts'
import type { CloseReason, TransportContext } from './transport.ts'
import { TransportBase } from './transport-base.ts'

/** A poll request that passed the shared checks. */
export interface PollRequest<Q> {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  /** Where the client is; undefined for a first poll (it gets the snapshot). */
  readonly cursor: Cursor | undefined
  /** The transport's own query parameters, parsed (the long poll's `wait`). */
  readonly params: Q
  /** The client's session when it asked for one (`?session=`). */
  readonly session: PollSession | undefined
  readonly context: TransportContext
  readonly bodies: PollBodies
}

/** A poll transport; `C` is what a broadcast reaches, `Q` its own query parameters. */
export abstract class PollTransport<C, Q> extends TransportBase<C> {
  abstract override readonly name: 'long-poll' | 'short-poll'
  #bodies: PollBodies | undefined
  #pollClients: PollClients | undefined

  /** Clients seen recently (their sockets and sessions), not only those waiting now. */
  override get clientCount(): number {
    return this.#pollClients?.count ?? 0
  }

  /** The reply bodies, once attached. */
  protected get bodies(): PollBodies | undefined {
    return this.#bodies
  }

  protected install(context: TransportContext): void {
    this.#bodies = new PollBodies(context.feed)
    this.#pollClients = new PollClients(
      this.name,
      context.sessions,
      context.options.pollSessionIdleMs,
      context.options.maxPollSessionsPerIp,
    )
    const { path } = PROTOCOL_TABLE[this.name]
    // Served before express: this runs once per request, thousands of times a second.
    context.plainRoutes.get(path, this.#poll, `GET ${path} polls the feed`)
  }

  protected closeClients(_reason: CloseReason): Promise<void> {
    this.releaseHeld()
    this.#pollClients?.close()
    return Promise.resolve()
  }

  /** Parses the transport's own query parameters (after the cursor, before the session). */
  protected abstract parseParams(
    query: Record<string, unknown>,
    context: TransportContext,
  ): Parsed<Q>

  /** Answers a request that passed the shared checks. */
  protected abstract answer(poll: PollRequest<Q>): void

  /** Answers every held request at close (nothing to do when none are held). */
  protected releaseHeld(): void {
    // Nothing is held by default.
  }

  readonly #poll = (
    req: IncomingMessage,
    res: ServerResponse,
    query: Record<string, unknown>,
  ): void => {
    const context = this.context
    const bodies = this.#bodies
    const pollClients = this.#pollClients
    if (context === undefined || bodies === undefined || pollClients === undefined) return
    if (this.closing) {
      writeFaultReply(res, fault('shutting-down'))
      return
    }
    const cursor = parseCursorQuery(query)
    if (!cursor.ok) {
      writeFaultReply(res, cursor.fault)
      return
    }
    const params = this.parseParams(query, context)
    if (!params.ok) {
      writeFaultReply(res, params.fault)
      return
    }
    const resolved = pollClients.resolve(query['session'], context.access.addressOf(req))
    if (!resolved.ok) {
      writeFaultReply(res, resolved.fault)
      return
    }
    pollClients.track(req.socket)
    this.answer({
      req,
      res,
      cursor: cursor.value,
      params: params.value,
      session: resolved.session,
      context,
      bodies,
    })
  }
}

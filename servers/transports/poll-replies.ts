/**
 * What both poll transports share: the reply body `{"epoch","next","messages":[…]}`
 * built at most once per tick and cursor, the opt-in poll sessions that `POST
 * /api/control` addresses, and the count of open poll clients (keep-alive sockets).
 */
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Cursor } from '../feed/history-ring.ts'
import type { Feed } from '../feed/feed.ts'
import type { ControlMessage } from '../feed/messages.ts'
import type { Protocol } from './protocols.ts'
import { fault, type Fault } from '../http/errors.ts'
import { parseSessionId } from '../http/query.ts'
import { ControlSessions, type ControlSession } from './control-sessions.ts'

/** A poll reply body without its closing brace, so a session field can follow. */
export interface PollBody {
  /** `{"epoch":…,"next":…,"messages":[…]` */
  readonly open: string
  readonly next: number
  /** Number of messages in it. */
  readonly count: number
  /** The whole body for a client without a session, encoded once and shared. */
  readonly bytes: Buffer
}

/** The query value that asks for a new poll session. */
export const NEW_SESSION = 'new'

// Many clients on the same cursor share one body; bound the cache for clients spread out.
const MAX_CACHED_BODIES = 64

/** Builds poll bodies, each at most once per tick and cursor. */
export class PollBodies {
  readonly #feed: Feed
  readonly #cache = new Map<string, PollBody>()
  #cacheSeq = -1

  constructor(feed: Feed) {
    this.#feed = feed
  }

  /** The body that brings `cursor` up to date (possibly with no messages). */
  for(cursor: Cursor | undefined): PollBody {
    const feed = this.#feed
    if (this.#cacheSeq !== feed.seq || this.#cache.size >= MAX_CACHED_BODIES) {
      this.#cache.clear()
      this.#cacheSeq = feed.seq
    }
    const key = cursor === undefined ? '' : `${cursor.epoch}:${cursor.since}`
    let body = this.#cache.get(key)
    if (body === undefined) {
      const catchUp = feed.catchUp(cursor)
      const count = catchUp.messages.length
      // A reset brings the client to the snapshot's seq; a replay to its last frame.
      const next = catchUp.reset ? catchUp.firstSeq : catchUp.firstSeq + count - 1
      body = makeBody(
        `{"epoch":${JSON.stringify(feed.epoch)},"next":${next},"messages":[${catchUp.messages.join(',')}]`,
        next,
        count,
      )
      this.#cache.set(key, body)
    }
    return body
  }

  /** A body with no messages that leaves the client at `since`. */
  empty(since: number): PollBody {
    return makeBody(
      `{"epoch":${JSON.stringify(this.#feed.epoch)},"next":${since},"messages":[]`,
      since,
      0,
    )
  }
}

function makeBody(open: string, next: number, count: number): PollBody {
  return { open, next, count, bytes: Buffer.from(`${open}}`) }
}

/** The bytes of a reply: the shared body, or a copy closed with the session field. */
export function finishBody(body: PollBody, session: PollSession | undefined): Buffer {
  return session === undefined ? body.bytes : Buffer.from(`${body.open},"session":"${session.id}"}`)
}

/**
 * Write a 200 poll reply with plain `node:http` calls (no express helpers: this runs for
 * every held long poll on every tick). Returns the body bytes.
 */
export function writeReply(
  res: ServerResponse,
  bytes: Buffer,
  headers: Record<string, string> = {},
): number {
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': bytes.length,
    ...headers,
  })
  res.end(bytes)
  return bytes.length
}

/** An opt-in poll session: lets `POST /api/control` pause and resume a poll client. */
export class PollSession implements ControlSession {
  readonly id = ControlSessions.newId()
  readonly protocol: Protocol
  /** The client address that opened it (its cap is counted there). */
  readonly address: string
  paused = false
  lastSeen = Date.now()
  /**
   * Called when the session resumes, to release a parked long poll; set only while one is
   * parked (the idle sweep keeps such a session).
   */
  onResume: (() => void) | undefined

  constructor(protocol: Protocol, address: string) {
    this.protocol = protocol
    this.address = address
  }

  control(action: ControlMessage['action']): boolean {
    if (action === 'drop') return false
    this.paused = action === 'stop'
    if (!this.paused) this.onResume?.()
    return true
  }
}

/** The poll sessions and open poll sockets of one poll transport. */
export class PollClients {
  readonly #protocol: Protocol
  readonly #registry: ControlSessions
  readonly #sessions = new Map<string, PollSession>()
  readonly #sockets = new Set<Socket>()
  readonly #sweep: NodeJS.Timeout
  readonly #maxPerAddress: number
  // Live sessions per client address, for the cap; an address with none has no entry.
  readonly #perAddress = new Map<string, number>()

  /**
   * @param protocol - The poll transport the sessions belong to.
   * @param registry - Where `POST /api/control` finds them.
   * @param idleMs - A session not seen (and with no parked poll) for this long is forgotten.
   * @param maxPerAddress - Live sessions one address may hold; 0 = unlimited.
   */
  constructor(
    protocol: Protocol,
    registry: ControlSessions,
    idleMs: number,
    maxPerAddress: number,
  ) {
    this.#protocol = protocol
    this.#registry = registry
    this.#maxPerAddress = maxPerAddress
    // One timer for all sessions: forget those idle past the timeout.
    this.#sweep = setInterval(
      () => {
        const cutoff = Date.now() - idleMs
        for (const session of this.#sessions.values()) {
          if (session.lastSeen < cutoff && session.onResume === undefined) this.#forget(session)
        }
      },
      Math.max(1000, Math.min(idleMs, 10_000)),
    )
    this.#sweep.unref()
  }

  /** Open poll clients: keep-alive sockets that have polled and are still open. */
  get count(): number {
    return this.#sockets.size
  }

  /** Count the socket of a poll request as one open client until it closes. */
  track(socket: Socket): void {
    if (this.#sockets.has(socket)) return
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
  }

  /**
   * Resolve the `session` query value: none, a new session for `address` (within its cap),
   * a known one, or a fault.
   */
  resolve(
    value: unknown,
    address: string,
  ): { ok: true; session: PollSession | undefined } | { ok: false; fault: Fault } {
    if (value === NEW_SESSION) {
      const held = this.#perAddress.get(address) ?? 0
      if (this.#maxPerAddress > 0 && held >= this.#maxPerAddress) {
        return { ok: false, fault: fault('too-many-sessions') }
      }
      const session = new PollSession(this.#protocol, address)
      this.#perAddress.set(address, held + 1)
      this.#sessions.set(session.id, session)
      this.#registry.add(session)
      return { ok: true, session }
    }
    const parsed = parseSessionId(value)
    if (!parsed.ok) return parsed
    if (parsed.value === undefined) return { ok: true, session: undefined }
    const session = this.#sessions.get(parsed.value)
    if (session === undefined) return { ok: false, fault: fault('unknown-session') }
    session.lastSeen = Date.now()
    return { ok: true, session }
  }

  /** Stop the sweep and forget every session. */
  close(): void {
    clearInterval(this.#sweep)
    for (const session of this.#sessions.values()) this.#forget(session)
  }

  #forget(session: PollSession): void {
    if (!this.#sessions.delete(session.id)) return
    this.#registry.delete(session.id)
    const held = (this.#perAddress.get(session.address) ?? 1) - 1
    if (held > 0) this.#perAddress.set(session.address, held)
    else this.#perAddress.delete(session.address)
  }
}

/**
 * The one `'upgrade'` listener of the shared HTTP server. Node hands every upgrade request
 * to every listener, so two modules each listening would both answer the same socket;
 * here each path has one owner, and a path nobody owns gets a 404.
 */
import type { IncomingMessage } from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import { encodeError } from '../feed/codec.ts'
import { FAULTS, fault, type Fault } from './errors.ts'
import { hostFault, parseTarget, type RequestTarget } from './request-target.ts'

/** Takes an upgrade request whose path it owns. */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

/** Looks at an upgrade request; returns true when it took the socket, false to pass. */
export type UpgradeClaim = (request: IncomingMessage, socket: Duplex, head: Buffer) => boolean

/** Routes upgrade requests by path to exactly one owner. */
export class UpgradeRouter {
  readonly #routes = new Map<string, UpgradeHandler>()
  readonly #claims: UpgradeClaim[] = []

  /** Gives `path` (exact match, no query) to `handler`; throws when the path has an owner. */
  route(path: string, handler: UpgradeHandler): void {
    if (this.#routes.has(path)) {
      throw new Error(`UpgradeRouter: ${path} already has an upgrade handler`)
    }
    this.#routes.set(path, handler)
  }

  /** Asks `claim` about every upgrade whose path has no exact owner, in the order added. */
  claim(claim: UpgradeClaim): void {
    this.#claims.push(claim)
  }

  /** The listener to install once: `server.on('upgrade', router.listener)`. */
  readonly listener = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const target = admitUpgrade(request, socket)
    if (target === null) return
    const path = target.pathname
    const handler = this.#routes.get(path)
    if (handler !== undefined) {
      handler(request, socket, head)
      return
    }
    for (const claim of this.#claims) if (claim(request, socket, head)) return
    const known = [...this.#routes.keys()].join(', ')
    rejectUpgrade(
      socket,
      fault('not-found', `no WebSocket endpoint at ${path.slice(0, 100)}; use ${known}`),
    )
  }
}

/**
 * The first steps of every upgrade listener (this router's and the baseline's): an error
 * listener on the socket, then the request-target and {@link handshakeFault}. Returns the
 * target, or null after refusing the upgrade with the fault.
 */
export function admitUpgrade(request: IncomingMessage, socket: Duplex): RequestTarget | null {
  // A socket error before or during the handshake must not become an uncaught exception.
  socket.on('error', () => socket.destroy())
  const target = parseTarget(request.url)
  if (!target.ok) {
    rejectUpgrade(socket, target.fault)
    return null
  }
  const refused = handshakeFault(request)
  if (refused !== null) {
    rejectUpgrade(socket, refused)
    return null
  }
  return target.value
}

/**
 * The fault of an upgrade request that RFC 6455 §4.1 does not allow: a version before
 * HTTP/1.1, or no Host header. Null when the request may go on to its owner.
 */
export function handshakeFault(request: IncomingMessage): Fault | null {
  if (
    request.httpVersionMajor < 1 ||
    (request.httpVersionMajor === 1 && request.httpVersionMinor < 1)
  ) {
    return fault(
      'bad-handshake',
      `bad WebSocket handshake: HTTP/${request.httpVersion}; RFC 6455 §4.1 needs HTTP/1.1`,
    )
  }
  if (request.headers.host === undefined || request.headers.host === '') {
    return fault('bad-handshake', 'bad WebSocket handshake: no Host header (RFC 6455 §4.1)')
  }
  return hostFault(request.headers.host)
}

/** Answers a refused upgrade with a plain HTTP error whose body is the `error` message. */
export function rejectUpgrade(socket: Duplex, failure: Fault, headers: string[] = []): void {
  endUpgrade(
    socket,
    FAULTS[failure.code].status,
    encodeError(failure.code, failure.message),
    headers,
  )
}

/** Ends an upgrade socket with a plain HTTP/1.1 `status` response whose JSON body is `body`. */
export function endUpgrade(
  socket: Duplex,
  status: number,
  body: string,
  headers: string[] = [],
): void {
  socket.end(
    [
      `HTTP/1.1 ${String(status)} ${STATUS_CODES[status] ?? 'Error'}`,
      'Connection: close',
      'Content-Type: application/json',
      `Content-Length: ${String(Buffer.byteLength(body))}`,
      ...headers,
      '',
      body,
    ].join('\r\n'),
  )
}

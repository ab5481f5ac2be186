/**
 * The one guard around every listener that runs on peer input: `request`, `upgrade`, and
 * the socket and message handlers of the transports and labs. Parsers of peer input return
 * faults and do not throw; this guard is what holds when a bug makes one throw anyway. The
 * throw answers that one peer (HTTP 500, or WebSocket close 1011), is logged once (one JSON
 * line: `handler`, `peer` when known, `code` `internal`, the error) and is counted in
 * `realtime_handler_errors_total{handler}`: the process and every other client go on.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { Counter, type Registry } from 'prom-client'
import { FAULTS, fault, writeFaultReply } from './errors.ts'
import { createLog, type ServerLog } from './log.ts'
import { rejectUpgrade, type UpgradeHandler } from './upgrade-router.ts'

/** A request listener; one that returns a promise has its rejection answered too. */
export type GuardedRequestListener = (req: IncomingMessage, res: ServerResponse) => unknown

// Node sets `bytesWritten` on net sockets; a socket that wrote nothing can still take an HTTP answer.
const untouched = (socket: Duplex): boolean =>
  !socket.destroyed && socket.writable && (socket as { bytesWritten?: number }).bytesWritten === 0

/** Guards the listeners of one server. */
export class HandlerGuard {
  readonly #errors: Counter<'handler'>
  /** The server's log: caught errors here, and the faults its listeners report. */
  readonly log: ServerLog

  /**
   * @param registry - Where `realtime_handler_errors_total{handler}` is registered.
   * @param log - The server's log. Default: JSON lines on stderr ({@link createLog}).
   */
  constructor(registry: Registry, log: ServerLog = createLog()) {
    this.#errors = new Counter({
      name: 'realtime_handler_errors_total',
      help: 'Errors thrown by a listener on peer input, caught by the guard (that peer got 500 or close 1011).',
      labelNames: ['handler'],
      registers: [registry],
    })
    this.log = log
  }

  /** Logs and counts one error thrown by `handler`, on input from `peer` when known. */
  caught(handler: string, error: unknown, peer?: string): void {
    this.#errors.inc({ handler })
    this.log.error(
      { handler, peer, code: 'internal', err: error },
      'handler threw: the peer was answered, the server goes on',
    )
  }

  /** `listener` for `server.on('request')`: a throw or rejection answers that request 500. */
  request(handler: string, listener: GuardedRequestListener): RequestListener {
    const fail = (res: ServerResponse, error: unknown): void => {
      this.caught(handler, error, res.req.socket.remoteAddress)
      answerRequest(res)
    }
    return (req, res) => {
      try {
        settle(listener(req, res), (error) => {
          fail(res, error)
        })
      } catch (error) {
        fail(res, error)
      }
    }
  }

  /**
   * `listener` for `server.on('upgrade')`: a throw answers 500 while the socket has written
   * nothing yet, and destroys it after (a finished handshake cannot take an HTTP answer).
   */
  upgrade(handler: string, listener: UpgradeHandler): UpgradeHandler {
    return (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        listener(request, socket, head)
      } catch (error) {
        this.caught(handler, error, request.socket.remoteAddress)
        answerSocket(socket)
      }
    }
  }

  /**
   * Wraps a socket, message or promise callback: a throw is logged, counted and handed to
   * `answer` with the callback's arguments, which ends that one peer (close 1011, or a 500).
   */
  callback<A extends unknown[]>(
    handler: string,
    listener: (...args: A) => void,
    answer: (error: unknown, ...args: A) => void,
  ): (...args: A) => void {
    return (...args: A) => {
      try {
        listener(...args)
      } catch (error) {
        this.caught(handler, error)
        try {
          answer(error, ...args)
        } catch (answerError) {
          this.caught(`${handler} (answer)`, answerError)
        }
      }
    }
  }
}

/** Calls `onError` when `result` is a promise that rejects. */
function settle(result: unknown, onError: (error: unknown) => void): void {
  if (result instanceof Promise) result.catch(onError)
}

/** Answers a request whose handler threw: 500 `internal` when possible, else cut. */
export function answerRequest(res: ServerResponse): void {
  try {
    if (!res.headersSent && !res.destroyed) {
      writeFaultReply(res, fault('internal'))
      return
    }
  } catch {
    // Fall through: a response that cannot take an answer is cut.
  }
  res.destroy()
}

/**
 * `server.on('clientError')`: Node's own answer to a request it could not parse (408 for a
 * request that took too long, 431 for oversized headers, 400 otherwise), with the fault's
 * body naming the parser's error code. A socket already in a response, or reset, is cut.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const inResponse = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage
  if (error.code === 'ECONNRESET' || !socket.writable || inResponse?.headersSent === true) {
    socket.destroy()
    return
  }
  const code = typeof error.code === 'string' ? error.code.slice(0, 40) : 'unknown'
  const failure =
    code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? fault('request-timeout')
      : code === 'HPE_HEADER_OVERFLOW'
        ? fault('headers-too-big')
        : fault('bad-request', `${FAULTS['bad-request'].message} (${code})`)
  rejectUpgrade(socket, failure)
}

/** Answers an upgrade whose handler threw: 500 before the handshake, cut after. */
export function answerSocket(socket: Duplex): void {
  try {
    if (untouched(socket)) {
      rejectUpgrade(socket, fault('internal'))
      return
    }
  } catch {
    // Fall through.
  }
  socket.destroy()
}

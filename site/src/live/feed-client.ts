/**
 * The lifecycle every live protocol client shares: connect, deliver messages to a tracker, and
 * on an unexpected loss reconnect with backoff, resuming from the last seq. Each protocol module
 * implements only how to open, close and pause its own connection.
 */
import type { FeedEncoding } from '../../../servers/feed/binary-layout.ts'
import type { ServerMessage } from '../../../servers/feed/messages.ts'
import type { Protocol } from '../../../servers/transports/protocols.ts'
import { backoffDelay } from './backoff.ts'
import { FeedTracker, type ResumeCursor } from './feed-tracker.ts'

/** What a panel shows as the connection state. */
export type ClientState = 'connecting' | 'open' | 'stopped' | 'retrying' | 'closed'

/** Callbacks a client reports to. */
export interface ClientEvents {
  /** The state changed; `detail` says why (e.g. the retry delay). */
  onState?: (state: ClientState, detail: string) => void
}

/** The four protocol clients' common shape. */
export abstract class FeedClient {
  /** The protocol this client speaks. */
  abstract readonly protocol: Protocol
  /** Order, gaps, latency and sprites of this client's stream. */
  readonly tracker = new FeedTracker()
  /** Current connection state. */
  state: ClientState = 'closed'
  /**
   * The encoding the server's frames arrive in (`json`, or `binary` from a `--encoding binary`
   * server), known from the first frame or snapshot; undefined before it.
   */
  encoding: FeedEncoding | undefined
  #attempt = 0
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  #connectedBefore = false
  #opened = false
  #wantOpen = false
  readonly #events: ClientEvents

  /** Origin of the servers, e.g. `http://127.0.0.1:8080`. */
  protected readonly baseUrl: string
  /** Endpoint path; the fallback demo points it at a path that fails to simulate a blocked transport. */
  protected readonly path: string

  /**
   * @param baseUrl origin of the servers
   * @param path endpoint path (`/ws`, `/sse`, `/poll/long`, `/poll/short`)
   */
  constructor(baseUrl: string, path: string, events: ClientEvents = {}) {
    this.baseUrl = baseUrl
    this.path = path
    this.#events = events
  }

  /** Whether this client has ever delivered a message or opened. */
  get everOpened(): boolean {
    return this.#opened
  }

  /** Opens the stream (or resumes a stopped one from where it left off). */
  start(): void {
    if (this.#wantOpen && this.state !== 'stopped') return
    const resuming = this.state === 'stopped'
    this.#wantOpen = true
    if (resuming && this.isConnected()) {
      this.tracker.replaysBefore()
      this.resume()
      this.setState('open', 'resumed')
      return
    }
    // Resuming a protocol that paused by disconnecting is not a reconnect after a loss.
    this.#connect(false)
  }

  /** Pauses delivery; `start()` resumes and receives what was missed, from history. */
  stop(): void {
    if (!this.#wantOpen) return
    this.#cancelRetry()
    this.pause()
    this.setState('stopped', 'paused by you')
  }

  /**
   * Drops the connection as a network failure would, so the reconnect and resume can be
   * watched. Where the protocol holds a standing connection (WebSocket, SSE) the server cuts
   * it, and the loss arrives the way a real one does; a poll has none, so its request is aborted.
   */
  kill(): void {
    if (!this.#wantOpen || this.state === 'stopped') return
    if (this.killOnServer()) return
    this.drop()
    this.lost('connection killed')
  }

  /** Closes for good. */
  dispose(): void {
    this.#wantOpen = false
    this.#cancelRetry()
    this.drop()
    this.setState('closed', 'closed')
  }

  /** Asks the server to cut the connection (`control` action `drop`); false when it cannot. */
  protected killOnServer(): boolean {
    return false
  }

  /** Opens a connection, resuming from `cursor` when there is one. */
  protected abstract open(cursor: ResumeCursor | undefined): void
  /** Tears the connection down without reporting a loss. */
  protected abstract drop(): void
  /** Whether a connection is open now (a paused one counts). */
  protected abstract isConnected(): boolean
  /** Pauses delivery on the open connection (or drops it, for protocols that resume by cursor). */
  protected abstract pause(): void
  /** Resumes delivery on the open connection after `pause()`. */
  protected abstract resume(): void

  /**
   * A protocol module calls this for every message it receives.
   * @param encoding how it arrived (see `feed-decoding.ts`); polls always answer JSON
   */
  protected deliver(message: ServerMessage, encoding: FeedEncoding = 'json'): void {
    if (this.state === 'connecting') this.opened()
    // reset, pong and error stay JSON on a binary server: only frames and snapshots tell.
    if (message.type === 'frame' || message.type === 'snapshot') this.encoding = encoding
    this.tracker.receive(message)
  }

  /** A protocol module calls this when its connection is up. */
  protected opened(): void {
    this.#attempt = 0
    this.#opened = true
    this.setState('open', 'open')
  }

  /** A protocol module calls this when the connection was lost; schedules a reconnect with backoff. */
  protected lost(reason: string): void {
    if (!this.#wantOpen || this.state === 'stopped' || this.#retryTimer !== undefined) return
    const delay = backoffDelay(this.#attempt++)
    this.setState('retrying', `${reason}; retrying in ${(delay / 1000).toFixed(1)} s`)
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      this.#connect(true)
    }, delay)
  }

  protected setState(state: ClientState, detail: string): void {
    this.state = state
    this.#events.onState?.(state, detail)
  }

  #connect(afterLoss: boolean): void {
    if (afterLoss && this.#connectedBefore) this.tracker.countReconnect()
    this.#connectedBefore = true
    // What the new connection replays was produced while it was down or stopped: not a latency.
    this.tracker.replaysBefore()
    this.setState('connecting', 'connecting')
    this.open(this.tracker.cursor)
  }

  #cancelRetry(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
  }
}

/** Parses one message from the server; undefined when it is not a JSON object with a `type`. */
export function parseServerMessage(text: string): ServerMessage | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && 'type' in value
      ? (value as ServerMessage)
      : undefined
  } catch {
    return undefined
  }
}

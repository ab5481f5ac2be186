/**
 * Sessions addressed by `POST /api/control` (and checked by `POST /api/ping`): SSE and
 * poll clients have no upstream channel of their own, so they name their session.
 */
import { randomBytes } from 'node:crypto'
import type { ControlMessage } from '../feed/messages.ts'
import type { Protocol } from './protocols.ts'

/** A client that can be paused and resumed from the HTTP control endpoint. */
export interface ControlSession {
  readonly id: string
  readonly protocol: Protocol
  /**
   * Pause (`stop`) or resume (`start`) delivery; resuming replays what was missed. `drop`
   * cuts the connection abruptly. Returns false when the action does not apply to this
   * session (a poll session has no standing connection to drop).
   */
  control(action: ControlMessage['action']): boolean
}

/** The registry of live control sessions, by id. */
export class ControlSessions {
  readonly #sessions = new Map<string, ControlSession>()

  /** A new unguessable session id. */
  static newId(): string {
    return randomBytes(12).toString('base64url')
  }

  /** Register a session. */
  add(session: ControlSession): void {
    this.#sessions.set(session.id, session)
  }

  /** Forget a session. */
  delete(id: string): void {
    this.#sessions.delete(id)
  }

  /** The session with this id, if live. */
  get(id: string): ControlSession | undefined {
    return this.#sessions.get(id)
  }
}

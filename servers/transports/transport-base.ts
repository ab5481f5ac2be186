/**
 * The lifecycle every transport shares, as engine.io's abstract `Transport` owns it: the
 * context it is attached to, the set of clients a broadcast reaches, the closing flag that
 * turns new clients away, one periodic timer (heartbeats, a sweep) and the per-client timers
 * at a token's expiry. A transport adds its framing and delivery: `install`, `broadcast`,
 * `closeClients`.
 */
import type { FeedTick } from '../feed/feed.ts'
import type { Protocol } from './protocols.ts'
import type { CloseReason, Transport, TransportContext } from './transport.ts'

// setTimeout holds at most 2^31 − 1 ms; a token living longer needs no timer.
const MAX_TIMER_MS = 2 ** 31 - 1

/** A transport's shared lifecycle; `C` is what a broadcast reaches (a socket, a held request). */
export abstract class TransportBase<C> implements Transport {
  abstract readonly name: Protocol
  /** Who the next broadcast reaches. */
  protected readonly clients = new Set<C>()
  /** Set by {@link attach}; a transport does nothing before. */
  protected context: TransportContext | undefined
  #closing = false
  #timer: NodeJS.Timeout | undefined

  /** Open clients right now (the broadcast's reach, unless a transport counts otherwise). */
  get clientCount(): number {
    return this.clients.size
  }

  /** True once {@link close} began: new clients are turned away. */
  protected get closing(): boolean {
    return this.#closing
  }

  /** Keeps the context and lets the transport install its routes or upgrade handling. */
  attach(context: TransportContext): void {
    this.context = context
    this.install(context)
  }

  abstract broadcast(tick: FeedTick): void

  /** Turns new clients away, stops the periodic timer, then closes the clients. */
  close(reason: CloseReason): Promise<void> {
    this.#closing = true
    clearInterval(this.#timer)
    return this.closeClients(reason)
  }

  /** Installs the transport's routes or upgrade handling (once, from {@link attach}). */
  protected abstract install(context: TransportContext): void

  /** Closes every client for `reason`; the clients set is empty when it resolves. */
  protected abstract closeClients(reason: CloseReason): Promise<void>

  /** Runs `task` every `ms` until {@link close} (one timer per transport, never per client). */
  protected every(ms: number, task: () => void): void {
    clearInterval(this.#timer)
    this.#timer = setInterval(task, ms)
    this.#timer.unref()
  }

  /**
   * One timer per client at its token's expiry (unix ms; null without auth or for a token
   * that outlives any timer): nothing on the per-tick path. The caller clears it when the
   * client leaves first.
   */
  protected expireAt(expiresAtMs: number | null, onExpire: () => void): NodeJS.Timeout | undefined {
    const delay = expiresAtMs === null ? MAX_TIMER_MS : expiresAtMs - Date.now()
    if (delay >= MAX_TIMER_MS) return undefined
    const timer = setTimeout(onExpire, Math.max(0, delay))
    timer.unref()
    return timer
  }
}

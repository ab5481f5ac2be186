/**
 * Bounds on what one client may cost: connections per address, messages per connection,
 * requests per poll client. All counters are bounded in memory.
 */
import type { IncomingMessage } from 'node:http'

/** A token bucket: `ratePerS` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  readonly #ratePerS: number
  readonly #burst: number
  #tokens: number
  #updatedMs: number

  constructor(ratePerS: number, burst: number, nowMs: number = performance.now()) {
    if (!(ratePerS > 0) || !(burst >= 1)) {
      throw new Error(`TokenBucket needs ratePerS > 0 and burst >= 1, got ${ratePerS} and ${burst}`)
    }
    this.#ratePerS = ratePerS
    this.#burst = burst
    this.#tokens = burst
    this.#updatedMs = nowMs
  }

  /** Takes one token; false when the bucket is empty. */
  take(nowMs: number = performance.now()): boolean {
    this.#refill(nowMs)
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }

  /** Seconds until one token is available (0 when one is), for `Retry-After`. */
  retryAfterS(nowMs: number = performance.now()): number {
    this.#refill(nowMs)
    return this.#tokens >= 1 ? 0 : Math.ceil((1 - this.#tokens) / this.#ratePerS)
  }

  #refill(nowMs: number): void {
    const elapsedS = Math.max(0, nowMs - this.#updatedMs) / 1000
    this.#tokens = Math.min(this.#burst, this.#tokens + elapsedS * this.#ratePerS)
    this.#updatedMs = nowMs
  }
}

/**
 * Token buckets by key (poll session, address), forgetting keys idle for `idleMs` so that
 * memory stays bounded; at most `maxKeys` keys, the longest idle evicted first.
 */
export class KeyedRateLimiter {
  readonly #buckets = new Map<string, { bucket: TokenBucket; usedMs: number }>()
  readonly #ratePerS: number
  readonly #burst: number
  readonly #maxKeys: number

  constructor(ratePerS: number, burst: number, maxKeys = 100_000) {
    this.#ratePerS = ratePerS
    this.#burst = burst
    this.#maxKeys = maxKeys
    new TokenBucket(ratePerS, burst) // validates the arguments at construction
  }

  /** Takes one token for `key`; on refusal also says how long to wait. */
  take(
    key: string,
    nowMs: number = performance.now(),
  ): { ok: true } | { ok: false; retryAfterS: number } {
    let entry = this.#buckets.get(key)
    if (entry === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#evictOldest()
      entry = { bucket: new TokenBucket(this.#ratePerS, this.#burst, nowMs), usedMs: nowMs }
    } else {
      this.#buckets.delete(key) // re-insert below so Map order stays least-recently-used first
    }
    entry.usedMs = nowMs
    this.#buckets.set(key, entry)
    return entry.bucket.take(nowMs)
      ? { ok: true }
      : { ok: false, retryAfterS: Math.max(1, entry.bucket.retryAfterS(nowMs)) }
  }

  /** Keys currently tracked. */
  get size(): number {
    return this.#buckets.size
  }

  #evictOldest(): void {
    const oldest = this.#buckets.keys().next()
    if (oldest.done !== true) this.#buckets.delete(oldest.value)
  }
}

/** Counts open connections per client address and refuses past `maxPerAddress`. */
export class ConnectionLimiter {
  readonly #open = new Map<string, number>()
  readonly #maxPerAddress: number

  /** @param maxPerAddress open connections allowed per address (0 = unlimited). */
  constructor(maxPerAddress: number) {
    this.#maxPerAddress = maxPerAddress
  }

  /** Reserves a connection slot for `address`; returns a release function, or null when full. */
  acquire(address: string): (() => void) | null {
    const count = this.#open.get(address) ?? 0
    if (this.#maxPerAddress > 0 && count >= this.#maxPerAddress) return null
    this.#open.set(address, count + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const now = (this.#open.get(address) ?? 1) - 1
      if (now <= 0) this.#open.delete(address)
      else this.#open.set(address, now)
    }
  }

  /** Open connections of one address. */
  count(address: string): number {
    return this.#open.get(address) ?? 0
  }
}

/**
 * The client's address. `X-Forwarded-For` is read only when `trustProxy` is set, and then
 * its last entry: the address the nearest (trusted) proxy saw; entries before it are
 * whatever the client wrote.
 */
export function clientAddress(
  request: Pick<IncomingMessage, 'headers' | 'socket'>,
  trustProxy: boolean,
): string {
  if (trustProxy) {
    const forwarded = request.headers['x-forwarded-for']
    const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)
      ?.split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '')
      .at(-1)
    if (last !== undefined) return last
  }
  return request.socket.remoteAddress ?? 'unknown'
}

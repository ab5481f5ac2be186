import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { clientAddress, ConnectionLimiter, KeyedRateLimiter, TokenBucket } from './rate-limit.ts'

describe('TokenBucket', () => {
  it('allows a burst, then refuses until time refills it', () => {
    const bucket = new TokenBucket(10, 3, 0)
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      true,
      true,
      true,
      false,
    ])
    expect(bucket.retryAfterS(0)).toBe(1)
    expect(bucket.take(100)).toBe(true)
    expect(bucket.take(100)).toBe(false)
  })

  it('never grants more than burst + rate × elapsed tokens (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 300 }),
        (rate, burst, steps) => {
          const bucket = new TokenBucket(rate, burst, 0)
          let now = 0
          let granted = 0
          for (const step of steps) {
            now += step
            if (bucket.take(now)) granted++
          }
          return granted <= burst + Math.floor((rate * now) / 1000) + 1
        },
      ),
    )
  })

  it('rejects nonsense arguments at construction', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(/ratePerS > 0/)
    expect(() => new TokenBucket(1, 0)).toThrow(/burst >= 1/)
  })
})

describe('KeyedRateLimiter', () => {
  it('limits each key on its own and says when to retry', () => {
    const limiter = new KeyedRateLimiter(1, 2)
    expect(limiter.take('a', 0)).toEqual({ ok: true })
    expect(limiter.take('a', 0)).toEqual({ ok: true })
    expect(limiter.take('a', 0)).toEqual({ ok: false, retryAfterS: 1 })
    expect(limiter.take('b', 0)).toEqual({ ok: true })
  })

  it('keeps memory bounded by evicting the least recently used key', () => {
    const limiter = new KeyedRateLimiter(1, 1, 100)
    for (let i = 0; i < 10_000; i++) limiter.take(`client-${i}`, i)
    expect(limiter.size).toBe(100)
  })
})

describe('ConnectionLimiter', () => {
  it('refuses past the per-address bound and frees a slot on release (once)', () => {
    const limiter = new ConnectionLimiter(2)
    const first = limiter.acquire('10.0.0.1')
    const second = limiter.acquire('10.0.0.1')
    expect(first).not.toBeNull()
    expect(second).not.toBeNull()
    expect(limiter.acquire('10.0.0.1')).toBeNull()
    expect(limiter.acquire('10.0.0.2')).not.toBeNull()
    first?.()
    first?.()
    expect(limiter.count('10.0.0.1')).toBe(1)
    expect(limiter.acquire('10.0.0.1')).not.toBeNull()
  })
})

describe('clientAddress', () => {
  const request = (forwarded?: string) => ({
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    socket: { remoteAddress: '127.0.0.1' },
  })

  it('ignores X-Forwarded-For unless the proxy is trusted', () => {
    expect(clientAddress(request('6.6.6.6') as never, false)).toBe('127.0.0.1')
  })

  it('takes the entry the trusted proxy added, not what the client wrote before it', () => {
    expect(clientAddress(request('6.6.6.6, 203.0.113.9') as never, true)).toBe('203.0.113.9')
    expect(clientAddress(request() as never, true)).toBe('127.0.0.1')
  })
})

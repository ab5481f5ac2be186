/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same
 * sequence on every machine, which is what makes a feed run reproducible.
 */
export class SeededRandom {
  #state: number

  /** @param seed - Any integer; only its low 32 bits are used. */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) {
      throw new TypeError(`SeededRandom: seed must be an integer, got ${String(seed)}`)
    }
    this.#state = seed >>> 0
  }

  /** Next float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0
    let z = this.#state
    z = Math.imul(z ^ (z >>> 15), z | 1)
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61)
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296
  }

  /** Next float in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next()
  }

  /** Next integer in [min, max] (both inclusive). */
  integer(min: number, max: number): number {
    return min + Math.floor((max - min + 1) * this.next())
  }
}

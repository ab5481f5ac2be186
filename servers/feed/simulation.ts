/**
 * The animation and scored events every transport serves: sprites bouncing in a
 * 400×400 box (seed 000) and seed 004's five events whose scores change every 2–7 s.
 * Deterministic: the same options give the same states, tick by tick. No I/O, no clock.
 */
import type { ScoredEvent, Sprite } from './messages.ts'
import { SeededRandom } from './seeded-random.ts'

/** Side of the square box the sprites bounce in, px. */
export const BOX_SIZE = 400

/** Options of a {@link Simulation}. */
export interface SimulationOptions {
  /** PRNG seed. */
  seed: number
  /** Ticks per second; sprite speeds and event timings are in seconds, so the rate scales them. */
  rate: number
  /** Number of sprites. */
  sprites: number
  /** Number of scored events (`EVENT#00`…). */
  events: number
}

/** What one tick changed. */
export interface SimulationStep {
  /** Sequence number of this tick (1 for the first). */
  seq: number
  /** Every sprite after the move. */
  sprites: Sprite[]
  /** Only the events whose score changed in this tick. */
  changed: ScoredEvent[]
}

// Sprite speed range, px per second.
const MIN_SPEED = 40
const MAX_SPEED = 160
// Seed 004: each score changes at a random interval of 2–7 s.
const MIN_CHANGE_S = 2
const MAX_CHANGE_S = 7

const round2 = (value: number): number => Math.round(value * 100) / 100

/** The id of the event at `index`: `EVENT#00`, `EVENT#01`, … */
export const eventId = (index: number): string => `EVENT#${String(index).padStart(2, '0')}`

/** The display name of the event at `index`: `Event 00`, `Event 01`, … */
export const eventName = (index: number): string => `Event ${String(index).padStart(2, '0')}`

/** The seeded simulation behind the feed. */
export class Simulation {
  readonly #random: SeededRandom
  readonly #rate: number
  readonly #sprites: Sprite[]
  readonly #events: ScoredEvent[]
  readonly #nextChangeSeq: number[]
  #seq = 0

  /** @throws TypeError when an option is out of range. */
  constructor(options: SimulationOptions) {
    const { rate, sprites, events, seed } = options
    if (!(rate > 0 && rate <= 1000))
      throw new TypeError(`Simulation: rate must be in (0, 1000] Hz, got ${rate}`)
    if (!Number.isInteger(sprites) || sprites < 0 || sprites > 10_000) {
      throw new TypeError(`Simulation: sprites must be an integer in [0, 10000], got ${sprites}`)
    }
    if (!Number.isInteger(events) || events < 0 || events > 100) {
      throw new TypeError(`Simulation: events must be an integer in [0, 100], got ${events}`)
    }
    this.#random = new SeededRandom(seed)
    this.#rate = rate
    this.#sprites = Array.from({ length: sprites }, (_, id) => {
      const angle = this.#random.between(0, 2 * Math.PI)
      const speed = this.#random.between(MIN_SPEED, MAX_SPEED)
      return {
        id,
        x: round2(this.#random.between(0, BOX_SIZE)),
        y: round2(this.#random.between(0, BOX_SIZE)),
        vx: round2(Math.cos(angle) * speed),
        vy: round2(Math.sin(angle) * speed),
      }
    })
    this.#events = Array.from({ length: events }, (_, index) => ({
      id: eventId(index),
      name: eventName(index),
      score: this.#random.integer(0, 100),
      updatedSeq: 0,
    }))
    this.#nextChangeSeq = this.#events.map(() => this.#nextChange(0))
  }

  /** Sequence number of the last tick (0 before the first). */
  get seq(): number {
    return this.#seq
  }

  /** Copy of every sprite, as of the last tick. */
  sprites(): Sprite[] {
    return this.#sprites.map((sprite) => ({ ...sprite }))
  }

  /** Copy of every event, as of the last tick. */
  events(): ScoredEvent[] {
    return this.#events.map((event) => ({ ...event }))
  }

  /** Advance one tick. */
  step(): SimulationStep {
    const seq = ++this.#seq
    const dt = 1 / this.#rate
    for (const sprite of this.#sprites) {
      sprite.x = round2(sprite.x + sprite.vx * dt)
      sprite.y = round2(sprite.y + sprite.vy * dt)
      // Reflect off the walls so a sprite never leaves the box.
      if (sprite.x < 0 || sprite.x > BOX_SIZE) {
        sprite.x = round2(sprite.x < 0 ? -sprite.x : 2 * BOX_SIZE - sprite.x)
        sprite.vx = -sprite.vx
      }
      if (sprite.y < 0 || sprite.y > BOX_SIZE) {
        sprite.y = round2(sprite.y < 0 ? -sprite.y : 2 * BOX_SIZE - sprite.y)
        sprite.vy = -sprite.vy
      }
    }
    const changed: ScoredEvent[] = []
    this.#events.forEach((event, index) => {
      if (this.#nextChangeSeq[index] !== seq) return
      event.score = Math.max(0, event.score + this.#random.integer(-5, 10))
      event.updatedSeq = seq
      this.#nextChangeSeq[index] = this.#nextChange(seq)
      changed.push({ ...event })
    })
    return { seq, sprites: this.sprites(), changed }
  }

  #nextChange(fromSeq: number): number {
    const seconds = this.#random.between(MIN_CHANGE_S, MAX_CHANGE_S)
    return fromSeq + Math.max(1, Math.round(seconds * this.#rate))
  }
}

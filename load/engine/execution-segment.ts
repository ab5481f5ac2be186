/**
 * k6's execution segments: how several load-generator processes split one test so that,
 * together, they run exactly the whole of it. A segment `from:to` (0 ≤ from < to ≤ 1) names
 * one process's share; a sequence `0,1/3,2/3,1` names every share, so each process can work out
 * its part of every integer (VUs, iterations) on its own, with no coordinator.
 *
 * The split is k6's striping algorithm (`lib/execution_segment.go`): within every block of
 * `lcd` units (the least common denominator of the segment lengths) each segment owns a fixed,
 * spread-out set of positions; a segment's part of a value N is how many of the positions
 * 1…N it owns. So the parts of N always add up to N, a part never shrinks when N grows, and the
 * global numbers a segment owns (its VU ids across the test) never collide with another's.
 */

/** A rational number `n/d` in lowest terms, `d > 0`. */
export interface Rational {
  readonly n: bigint
  readonly d: bigint
}

/** One share of the test: `(from, to]`, with `0 ≤ from < to ≤ 1`. */
export interface ExecutionSegment {
  readonly from: Rational
  readonly to: Rational
}

/** Thrown for a segment or sequence string that k6 would refuse; the message says why. */
export class ExecutionSegmentError extends Error {
  override readonly name = 'ExecutionSegmentError'
}

/**
 * Largest least common denominator the engine accepts: the striping table has `lcd` entries,
 * so `1/1000003` as a segment length would cost memory for nothing useful.
 */
export const MAX_SEGMENT_LCD = 1_000_000

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a
  let y = b < 0n ? -b : b
  while (y !== 0n) [x, y] = [y, x % y]
  return x
}

function rational(n: bigint, d: bigint): Rational {
  if (d === 0n) throw new ExecutionSegmentError('division by zero')
  const sign = d < 0n ? -1n : 1n
  const g = gcd(n, d) || 1n
  return { n: (sign * n) / g, d: (sign * d) / g }
}

const ZERO = rational(0n, 1n)
const ONE = rational(1n, 1n)

function compare(a: Rational, b: Rational): number {
  const left = a.n * b.d
  const right = b.n * a.d
  return left < right ? -1 : left > right ? 1 : 0
}

function subtract(a: Rational, b: Rational): Rational {
  return rational(a.n * b.d - b.n * a.d, a.d * b.d)
}

/** `n/d` as k6 prints it (`1/2`, `0`, `1`). */
export function formatRational(value: Rational): string {
  return value.d === 1n ? String(value.n) : `${String(value.n)}/${String(value.d)}`
}

/**
 * Parses one point as k6 does: a whole percentage (`50%`), a fraction (`1/3`), a decimal
 * (`0.25`) or an integer (`1`).
 *
 * @throws ExecutionSegmentError naming the text.
 */
export function parseRational(text: string): Rational {
  const s = text.trim()
  const percent = /^([+-]?\d+)%$/.exec(s)
  if (percent !== null) return rational(BigInt(percent[1] ?? '0'), 100n)
  if (s.endsWith('%')) throw new ExecutionSegmentError(`'${text}' is not a valid percentage`)
  const fraction = /^([+-]?\d+)\/(\d+)$/.exec(s)
  if (fraction !== null) {
    const d = BigInt(fraction[2] ?? '1')
    if (d === 0n) throw new ExecutionSegmentError(`'${text}' divides by zero`)
    return rational(BigInt(fraction[1] ?? '0'), d)
  }
  const decimal = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s)
  if (decimal !== null && `${decimal[2] ?? ''}${decimal[3] ?? ''}` !== '') {
    const whole = decimal[2] ?? ''
    const part = decimal[3] ?? ''
    const n = BigInt(`${whole}${part}` || '0') * (decimal[1] === '-' ? -1n : 1n)
    return rational(n, 10n ** BigInt(part.length))
  }
  throw new ExecutionSegmentError(
    `'${text}' is not a valid percentage, decimal, fraction or interval value`,
  )
}

function makeSegment(from: Rational, to: Rational): ExecutionSegment {
  if (compare(from, ZERO) < 0) {
    throw new ExecutionSegmentError(
      `segment start value must be at least 0 but was ${formatRational(from)}`,
    )
  }
  if (compare(from, to) >= 0) {
    throw new ExecutionSegmentError(
      `segment start (${formatRational(from)}) must be less than its end (${formatRational(to)})`,
    )
  }
  if (compare(to, ONE) > 0) {
    throw new ExecutionSegmentError(
      `segment end value can't be more than 1 but was ${formatRational(to)}`,
    )
  }
  return { from, to }
}

/** `from:to` as k6 prints a segment. */
export function formatSegment(segment: ExecutionSegment): string {
  return `${formatRational(segment.from)}:${formatRational(segment.to)}`
}

function sameSegment(a: ExecutionSegment, b: ExecutionSegment): boolean {
  return compare(a.from, b.from) === 0 && compare(a.to, b.to) === 0
}

/**
 * Parses `--execution-segment` as k6 does: `from:to` (`0:1/2`, `50%:100%`, `0.5:1`), or a
 * single value `to` meaning `0:to`; an empty string is the whole test, `0:1`.
 *
 * @throws ExecutionSegmentError when a point does not parse or `0 ≤ from < to ≤ 1` fails.
 */
export function parseExecutionSegment(text: string): ExecutionSegment {
  const s = text.trim()
  if (s === '') return { from: ZERO, to: ONE }
  const colon = s.indexOf(':')
  if (colon < 0) return makeSegment(ZERO, parseRational(s))
  return makeSegment(parseRational(s.slice(0, colon)), parseRational(s.slice(colon + 1)))
}

/**
 * Parses `--execution-segment-sequence` as k6 does: `r1,r2,…,rn` is the chain
 * `(r1,r2], (r2,r3], …`; an empty string is no sequence.
 *
 * @throws ExecutionSegmentError for fewer than two points or a point out of order.
 */
export function parseExecutionSegmentSequence(text: string): ExecutionSegment[] {
  const s = text.trim()
  if (s === '') return []
  const points = s.split(',').map(parseRational)
  if (points.length < 2) {
    throw new ExecutionSegmentError(
      `at least 2 points are needed for an execution segment sequence, ${String(points.length)} given`,
    )
  }
  const segments: ExecutionSegment[] = []
  for (let i = 1; i < points.length; i++) {
    segments.push(makeSegment(points[i - 1] ?? ZERO, points[i] ?? ONE))
  }
  return segments
}

/** The sequence with the gaps before its first and after its last segment filled in. */
function filledSequence(
  sequence: readonly ExecutionSegment[],
  segment: ExecutionSegment,
): ExecutionSegment[] {
  const base = sequence.length > 0 ? [...sequence] : [segment]
  const first = base[0]
  const last = base.at(-1)
  if (first !== undefined && compare(first.from, ZERO) !== 0)
    base.unshift({ from: ZERO, to: first.from })
  if (last !== undefined && compare(last.to, ONE) !== 0) base.push({ from: last.to, to: ONE })
  return base
}

/**
 * k6's striping table for a full sequence: per segment, `[start, offset1, …, offsetK]` where
 * `start` is the first position (0-based) it owns in a block of `lcd` and each offset the step to
 * its next position (the last wraps into the following block).
 */
function stripe(sequence: readonly ExecutionSegment[]): { lcd: number; offsets: number[][] } {
  const lengths = sequence.map((s) => subtract(s.to, s.from))
  let lcd = 1n
  for (const length of lengths) lcd = (lcd * length.d) / gcd(lcd, length.d)
  if (lcd > BigInt(MAX_SEGMENT_LCD)) {
    throw new ExecutionSegmentError(
      `the segments' common denominator ${String(lcd)} is above ${String(MAX_SEGMENT_LCD)}: use simpler fractions`,
    )
  }
  const total = Number(lcd)
  const numerators = lengths.map((length) => Number(length.n * (lcd / length.d)))
  // Biggest segments choose first: they have the most positions to spread out.
  const order = numerators
    .map((numerator, index) => ({ numerator, index }))
    .sort((a, b) => b.numerator - a.numerator)
  const offsets: number[][] = sequence.map(() => [])
  const previous = sequence.map(() => 0)
  const chosen = order.map(() => 0)
  for (let position = 0; position < total; position++) {
    for (let k = 0; k < order.length; k++) {
      const { numerator, index } = order[k] ?? { numerator: 1, index: 0 }
      const num = (chosen[k] ?? 0) * total
      const quotient = Math.floor(num / numerator)
      if (position > quotient || (position === quotient && num % numerator === 0)) {
        chosen[k] = (chosen[k] ?? 0) + 1
        const own = offsets[index] ?? []
        own.push(position - (previous[index] ?? 0))
        previous[index] = position
        if (own.length === numerator) own.push((own[0] ?? 0) + total - position)
        break
      }
    }
  }
  return { lcd: total, offsets }
}

/**
 * One segment within its (filled) sequence: scales integers to this segment's part and maps
 * this segment's n-th unit to its number in the whole test. k6's `ExecutionTuple`.
 */
export class ExecutionTuple {
  /** The whole sequence, gaps filled, from 0 to 1. */
  readonly sequence: readonly ExecutionSegment[]
  /** This process's segment. */
  readonly segment: ExecutionSegment
  /** Index of {@link segment} in {@link sequence}. */
  readonly index: number
  /** Length of one striping block. */
  readonly lcd: number
  /** Per segment of {@link sequence}: `[start, step1, …, stepK]` of the striping table. */
  readonly #table: readonly (readonly number[])[]
  /** `prefix[k]`: sum of this segment's first k steps. */
  readonly #prefix: readonly number[]

  private constructor(sequence: readonly ExecutionSegment[], index: number) {
    this.sequence = sequence
    this.index = index
    this.segment = sequence[index] ?? { from: ZERO, to: ONE }
    const { lcd, offsets } = stripe(sequence)
    this.lcd = lcd
    this.#table = offsets
    const prefix = [0]
    for (const step of (offsets[index] ?? [0, 1]).slice(1)) prefix.push((prefix.at(-1) ?? 0) + step)
    this.#prefix = prefix
  }

  /**
   * The tuple for `segment` within `sequence` (k6's `NewExecutionTuple`): without a sequence
   * the segment is completed to `0,from,to,1`.
   *
   * @throws ExecutionSegmentError when the sequence does not contain the segment.
   */
  static of(
    segment: ExecutionSegment = { from: ZERO, to: ONE },
    sequence: readonly ExecutionSegment[] = [],
  ): ExecutionTuple {
    for (let i = 1; i < sequence.length; i++) {
      const before = sequence[i - 1]
      const here = sequence[i]
      if (before !== undefined && here !== undefined && compare(before.to, here.from) !== 0) {
        throw new ExecutionSegmentError(
          `the start value ${formatRational(here.from)} of segment #${String(i)} must be equal to the end value of the previous one, but it is ${formatRational(before.to)}`,
        )
      }
    }
    const filled = filledSequence(sequence, segment)
    const index = filled.findIndex((s) => sameSegment(s, segment))
    if (index < 0) {
      throw new ExecutionSegmentError(
        `execution segment ${formatSegment(segment)} is not one of the sequence ${formatSequence(filled)}`,
      )
    }
    return new ExecutionTuple(filled, index)
  }

  /** Parses the two flags together (either may be undefined). */
  static parse(segment: string | undefined, sequence: string | undefined): ExecutionTuple {
    return ExecutionTuple.of(
      parseExecutionSegment(segment ?? ''),
      parseExecutionSegmentSequence(sequence ?? ''),
    )
  }

  /** True when this process runs the whole test (no split). */
  get whole(): boolean {
    return this.sequence.length === 1
  }

  /** This segment's part of `value` (k6's `ScaleInt64`): the parts of all segments add up to `value`. */
  scale(value: number): number {
    return this.whole ? value : this.#scaleAt(this.index, value)
  }

  /** Part of `value` for segment `index` of the sequence. */
  #scaleAt(index: number, value: number): number {
    const own = this.#table[index] ?? [0, 1]
    const start = own[0] ?? 0
    const per = own.length - 1
    const rest = value % this.lcd
    let result = Math.floor(value / this.lcd) * per
    for (let k = 1, position = start; position < rest; position += own[k] ?? 1, k++) result++
    return result
  }

  /**
   * The number in the whole test (1-based) of this segment's `localNumber`-th unit (1-based):
   * the id `exec.vu.idInTest` gives the VU this process numbers `localNumber`.
   */
  globalNumber(localNumber: number): number {
    if (this.whole) return localNumber
    const own = this.#table[this.index] ?? [0, 1]
    const k = localNumber - 1
    const per = own.length - 1
    return (own[0] ?? 0) + 1 + Math.floor(k / per) * this.lcd + (this.#prefix[k % per] ?? 0)
  }

  /**
   * The tuple re-segmented by `value` (k6's `GetNewExecutionTupleFromValue`): each segment's new
   * length is its part of `value` over `value`, empty segments dropped. shared-iterations splits
   * its iterations by this, so they follow the VUs each process got. Null when this segment's
   * part of `value` is 0.
   */
  rescaled(value: number): ExecutionTuple | null {
    if (value < 1) return null
    if (value % this.lcd === 0) return this
    const parts = this.sequence.map((_, i) => this.#scaleAt(i, value))
    const segments: ExecutionSegment[] = []
    let tracked = -1
    let previous = 0
    for (const [i, part] of parts.entries()) {
      if (part === 0) continue
      if (i === this.index) tracked = segments.length
      segments.push({
        from: rational(BigInt(previous), BigInt(value)),
        to: rational(BigInt(previous + part), BigInt(value)),
      })
      previous += part
    }
    return tracked < 0 ? null : new ExecutionTuple(segments, tracked)
  }
}

/** `r1,r2,…` as k6 prints a sequence. */
export function formatSequence(sequence: readonly ExecutionSegment[]): string {
  const first = sequence[0]
  if (first === undefined) return ''
  return [first.from, ...sequence.map((s) => s.to)].map(formatRational).join(',')
}

/**
 * The consecutive, equal segments for `count` processes (`0:1/2` and `1/2:1` for 2), with the
 * sequence string that names them all.
 */
export function equalSegments(count: number): { segments: string[]; sequence: string } {
  if (!Number.isInteger(count) || count < 1) {
    throw new ExecutionSegmentError(`process count must be a positive integer, got ${count}`)
  }
  const point = (i: number): string => formatRational(rational(BigInt(i), BigInt(count)))
  const segments = Array.from({ length: count }, (_, i) => `${point(i)}:${point(i + 1)}`)
  const sequence = Array.from({ length: count + 1 }, (_, i) => point(i)).join(',')
  return { segments, sequence }
}

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  equalSegments,
  ExecutionSegmentError,
  ExecutionTuple,
  formatSegment,
  formatSequence,
  parseExecutionSegment,
  parseExecutionSegmentSequence,
} from './execution-segment.ts'

/** The private striping table, read through the public mapping: positions 0…lcd-1 owned. */
function positions(tuple: ExecutionTuple): number[] {
  const owned: number[] = []
  for (let n = 1; ; n++) {
    const global = tuple.globalNumber(n)
    if (global > tuple.lcd) break
    owned.push(global - 1)
  }
  return owned
}

describe('parseExecutionSegment', () => {
  it.each([
    ['0:1/2', '0:1/2'],
    ['1/2:1', '1/2:1'],
    ['50%:100%', '1/2:1'],
    ['0.5:0.75', '1/2:3/4'],
    ['2/4:75%', '1/2:3/4'],
    ['20%', '0:1/5'],
    ['0.2', '0:1/5'],
    ['1/5', '0:1/5'],
    ['', '0:1'],
  ])('reads "%s" as %s, as k6 does', (text, expected) => {
    expect(formatSegment(parseExecutionSegment(text))).toBe(expected)
  })

  it.each([
    ['1:0', /start \(1\) must be less than its end \(0\)/],
    ['0:2', /can't be more than 1 but was 2/],
    ['-1/2:1', /at least 0/],
    ['abc', /'abc' is not a valid percentage, decimal, fraction or interval value/],
    ['33.3%:1', /'33.3%' is not a valid percentage/],
    ['1/0:1', /divides by zero/],
  ])('refuses "%s" with a clear error', (text, message) => {
    expect(() => parseExecutionSegment(text)).toThrow(ExecutionSegmentError)
    expect(() => parseExecutionSegment(text)).toThrow(message)
  })
})

describe('parseExecutionSegmentSequence', () => {
  it('reads points into consecutive segments and prints them back', () => {
    const sequence = parseExecutionSegmentSequence('0,1/3,2/3,1')
    expect(sequence.map(formatSegment)).toEqual(['0:1/3', '1/3:2/3', '2/3:1'])
    expect(formatSequence(sequence)).toBe('0,1/3,2/3,1')
  })

  it('refuses one point and points out of order', () => {
    expect(() => parseExecutionSegmentSequence('1/2')).toThrow(/at least 2 points/)
    expect(() => parseExecutionSegmentSequence('0,2/3,1/3,1')).toThrow(/must be less than/)
  })

  it('refuses a segment that is not in the sequence', () => {
    expect(() => ExecutionTuple.parse('0:1/4', '0,1/3,2/3,1')).toThrow(
      /0:1\/4 is not one of the sequence 0,1\/3,2\/3,1/,
    )
  })
})

describe('ExecutionTuple', () => {
  // k6's lib/execution_segment.go documents this split of 0:1/2, 1/2:3/4, 3/4:1.
  const sequence = '0,1/2,3/4,1'
  const tuples = ['0:1/2', '1/2:3/4', '3/4:1'].map((s) => ExecutionTuple.parse(s, sequence))

  it("owns k6's documented iterator positions: 0 2 4 …, 1 5 9 …, 3 7 11 …", () => {
    const first = (tuple: ExecutionTuple): number[] =>
      [1, 2, 3].map((n) => tuple.globalNumber(n) - 1)
    expect(tuples.map(first)).toEqual([
      [0, 2, 4],
      [1, 5, 9],
      [3, 7, 11],
    ])
  })

  it("scales 1…12 as k6's documented table", () => {
    const values = Array.from({ length: 12 }, (_, i) => i + 1)
    expect(tuples.map((tuple) => values.map((v) => tuple.scale(v)))).toEqual([
      [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6],
      [0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3],
      [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3],
    ])
  })

  it.each([
    // k6's TestGetStripedOffsets: sequence, segment, positions owned in one block, lcd.
    ['0,0.3,0.5,0.6,0.7,0.8,0.9,1', '0:0.3', [0, 4, 7], 10],
    ['0,0.3,0.5,0.6,0.7,0.8,0.9,1', '0.3:0.5', [1, 5], 10],
    ['0,0.3,0.5,0.6,0.7,0.8,0.9,1', '0.5:0.6', [2], 10],
    ['0,0.2,0.5', '0.2:0.5', [1, 5, 7], 10],
    ['0,2/5,4/5', '2/5:4/5', [1, 4], 5],
    ['', '0:0.2', [1], 5],
    ['', '1/10:5/10', [1, 3, 5, 9], 10],
  ])('stripes %s for %s as k6 does', (seq, seg, owned, lcd) => {
    const tuple = ExecutionTuple.parse(seg, seq)
    expect(tuple.lcd).toBe(lcd)
    expect(positions(tuple)).toEqual(owned)
  })

  it.each([
    // k6's TestNewExecutionTuple.
    ['0:1/3', { 50: 17, 3: 1, 2: 1, 1: 1, 0: 0 }],
    ['1/3:2/3', { 50: 17, 3: 1, 2: 1, 1: 0, 0: 0 }],
    ['2/3:1', { 50: 16, 3: 1, 2: 0, 1: 0, 0: 0 }],
  ])('scales thirds of 0,1/3,2/3,1 for %s as k6 does', (segment, expected) => {
    const tuple = ExecutionTuple.parse(segment, '0,1/3,2/3,1')
    for (const [value, part] of Object.entries(expected))
      expect(tuple.scale(Number(value))).toBe(part)
  })

  it('re-segments by a value as k6 does (shared-iterations follow the VUs)', () => {
    const tuple = ExecutionTuple.parse('0:1/3', '0,1/3,2/3,1')
    const by20 = tuple.rescaled(20)
    expect(by20 && formatSequence(by20.sequence)).toBe('0,7/20,7/10,1')
    expect(by20?.scale(50)).toBe(18)
    expect(ExecutionTuple.parse('2/3:1', '0,1/3,2/3,1').rescaled(2)).toBeNull()
  })

  it('splits equally for N processes', () => {
    expect(equalSegments(2)).toEqual({ segments: ['0:1/2', '1/2:1'], sequence: '0,1/2,1' })
    expect(equalSegments(3).sequence).toBe('0,1/3,2/3,1')
  })

  it('gives parts that always sum to the whole and ids that never collide', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 5000 }),
        (weights, value) => {
          const total = weights.reduce((a, b) => a + b, 0)
          let at = 0
          const points = ['0']
          for (const w of weights) {
            at += w
            points.push(`${at}/${total}`)
          }
          const sequence = parseExecutionSegmentSequence(points.join(','))
          const tuples = sequence.map((s) => ExecutionTuple.of(s, sequence))
          const parts = tuples.map((t) => t.scale(value))
          expect(parts.reduce((a, b) => a + b, 0)).toBe(value)
          // The numbers each segment owns among 1…value are exactly 1…value, once each.
          const ids = tuples.flatMap((t, i) =>
            Array.from({ length: parts[i] ?? 0 }, (_, k) => t.globalNumber(k + 1)),
          )
          expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: value }, (_, k) => k + 1))
          // A part never shrinks as the value grows.
          for (const t of tuples) expect(t.scale(value + 1)).toBeGreaterThanOrEqual(t.scale(value))
        },
      ),
      { numRuns: 200 },
    )
  })
})

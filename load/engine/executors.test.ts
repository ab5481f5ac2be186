import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ExecutionTuple, parseExecutionSegmentSequence } from './execution-segment.ts'
import {
  maxVus,
  planScenario,
  planScenarios,
  scenarioLengthMs,
  scenarioShare,
  targetVus,
} from './executors.ts'

describe('targetVus', () => {
  const ramp = planScenario('ramp', {
    executor: 'ramping-vus',
    startVUs: 0,
    stages: [
      { duration: '10s', target: 10 },
      { duration: '5s', target: 10 },
      { duration: '10s', target: 0 },
    ],
  })

  it.each([
    [0, 0],
    [999, 0],
    [1000, 1],
    [5500, 5],
    [10_000, 10],
    [12_000, 10],
    [15_500, 10],
    [16_000, 9],
    [24_999, 1],
    [25_000, 0],
  ])('ramping-vus wants %d ms in: %d VUs', (elapsed, expected) => {
    expect(targetVus(ramp, elapsed)).toBe(expected)
  })

  it('holds constant-vus for its duration, then none', () => {
    const plan = planScenario('c', { executor: 'constant-vus', vus: 7, duration: '3s' })
    expect([0, 1500, 3000, 3001].map((t) => targetVus(plan, t))).toEqual([7, 7, 7, 0])
    expect(scenarioLengthMs(plan)).toBe(3000)
  })

  it('knows the most VUs a ramp needs', () => {
    expect(maxVus(ramp)).toBe(10)
    expect(scenarioLengthMs(ramp)).toBe(25_000)
  })
})

describe('planScenarios', () => {
  it('applies k6 defaults to a scenario', () => {
    const [plan] = planScenarios({ scenarios: { s: { executor: 'per-vu-iterations', vus: 2 } } })
    expect(plan).toMatchObject({
      iterations: 1,
      gracefulStopMs: 30_000,
      exec: 'default',
      durationMs: 600_000,
    })
  })

  it('lets --vus with --duration replace the scenarios, as k6 run does', () => {
    const plans = planScenarios(
      { scenarios: { s: { executor: 'per-vu-iterations' } } },
      { vus: 3, durationMs: 2000 },
    )
    expect(plans).toEqual([
      expect.objectContaining({ executor: 'constant-vus', vus: 3, durationMs: 2000 }),
    ])
  })

  it('reads the shortcuts: stages, duration, iterations, and one iteration by default', () => {
    expect(planScenarios({ stages: [{ duration: '1s', target: 2 }] })[0]?.executor).toBe(
      'ramping-vus',
    )
    expect(planScenarios({ vus: 2, duration: '1s' })[0]?.executor).toBe('constant-vus')
    expect(planScenarios({ iterations: 5 })[0]?.executor).toBe('shared-iterations')
    expect(planScenarios({})[0]).toMatchObject({
      executor: 'per-vu-iterations',
      vus: 1,
      iterations: 1,
    })
  })

  it('names an unsupported executor and the way out', () => {
    expect(() =>
      planScenarios({ scenarios: { x: { executor: 'constant-arrival-rate' } } }),
    ).toThrow(/constant-arrival-rate.*--engine k6/)
  })
})

describe('scenarioShare', () => {
  const halves = ['0:1/2', '1/2:1'].map((s) => ExecutionTuple.parse(s, '0,1/2,1'))

  it('splits constant-vus, per-vu-iterations and shared-iterations as k6 does', () => {
    const constant = planScenario('c', { executor: 'constant-vus', vus: 5, duration: '1s' })
    expect(halves.map((t) => scenarioShare(constant, t).plan.vus)).toEqual([3, 2])
    const perVu = planScenario('p', { executor: 'per-vu-iterations', vus: 3, iterations: 4 })
    expect(halves.map((t) => scenarioShare(perVu, t).plan)).toEqual([
      expect.objectContaining({ vus: 2, iterations: 4 }),
      expect.objectContaining({ vus: 1, iterations: 4 }),
    ])
    const shared = planScenario('s', { executor: 'shared-iterations', vus: 3, iterations: 10 })
    const parts = halves.map((t) => scenarioShare(shared, t).plan)
    expect(parts.map((p) => p.vus)).toEqual([2, 1])
    expect(parts.map((p) => p.iterations)).toEqual([7, 3])
  })

  it("ramps each half as k6's ramping-vus chart: one process takes VUs 1,3,5…, the other 2,4,6…", () => {
    // k6's getRawExecutionSteps example: 0 → 10 VUs over 10 s and back to 0 over 10 s.
    const ramp = planScenario('r', {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: '10s', target: 10 },
        { duration: '10s', target: 0 },
      ],
    })
    const [a, b] = halves.map((t) => scenarioShare(ramp, t))
    const at = (s: typeof a, seconds: number[]): number[] =>
      seconds.map((x) => s?.targetVus(x * 1000) ?? -1)
    const times = [0, 1, 2, 3, 9, 10, 11, 12, 19, 20]
    expect(at(a, times)).toEqual([0, 1, 1, 2, 5, 5, 5, 4, 1, 0])
    expect(at(b, times)).toEqual([0, 0, 1, 1, 4, 5, 4, 4, 0, 0])
    expect([a?.maxVus, b?.maxVus]).toEqual([5, 5])
  })

  it('gives ramping-vus parts that add up to the whole ramp at every moment', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.array(
          fc.record({
            seconds: fc.integer({ min: 0, max: 20 }),
            target: fc.integer({ min: 0, max: 200 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        fc.constantFrom('0,1/2,1', '0,1/3,2/3,1', '0,1/4,1', '0,0.3,0.5,0.6,1'),
        fc.integer({ min: 0, max: 90_000 }),
        (startVUs, stages, points, elapsed) => {
          const plan = planScenario('r', {
            executor: 'ramping-vus',
            startVUs,
            stages: stages.map((s) => ({ duration: `${s.seconds}s`, target: s.target })),
          })
          const sequence = parseExecutionSegmentSequence(points)
          const shares = sequence.map((s) => scenarioShare(plan, ExecutionTuple.of(s, sequence)))
          const sum = shares.reduce((total, share) => total + share.targetVus(elapsed), 0)
          expect(sum).toBe(targetVus(plan, elapsed))
          expect(shares.reduce((total, share) => total + share.maxVus, 0)).toBe(maxVus(plan))
        },
      ),
      { numRuns: 300 },
    )
  })
})

import { describe, expect, it } from 'vitest'
import { maxVus, planScenario, planScenarios, scenarioLengthMs, targetVus } from './executors.ts'

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

/**
 * The results page's network section without a browser: which profiles a run measured and in
 * what order, the one load every profile shares, and the charts' values — latency, latency
 * beyond the link's one-way delay, recovery — read from the steps.
 */
import { describe, expect, it } from 'vitest'
import type { StepResult } from '../../load/bench/report-schema.ts'
import {
  networkCharts,
  networkConnections,
  networkStep,
  networksIn,
} from '../../site/src/lib/network-specs.ts'
import type { RunEntry } from '../../site/src/lib/results-loader.ts'
import { step } from './fixtures/step.ts'

const PROTOCOLS = ['websocket', 'long-poll'] as const

/** A step of `protocol` over `network` at `connections`, p95 latency `p95`. */
function over(
  protocol: StepResult['protocol'],
  network: string,
  connections: number,
  p95: number,
  changes: Partial<StepResult> = {},
): StepResult {
  const base = step(protocol, connections)
  const rttMs = network === '3g' ? 300 : 150
  return {
    ...base,
    network,
    latencyMs: { ...base.latencyMs, p95 },
    recoveryMs: { ...base.latencyMs, p50: 2 * rttMs + 5 },
    link: { network, rttMs, relay: null },
    ...changes,
  }
}

/** A run with loopback steps at 100 and 1,000 and the given network steps. */
function runWith(variantSteps: StepResult[]): RunEntry {
  const steps = PROTOCOLS.flatMap((protocol) => [step(protocol, 100), step(protocol, 1000)])
  return { steps, variantSteps, reportFile: 'results/test/report.json' } as unknown as RunEntry
}

describe('the network section', () => {
  const variantSteps = PROTOCOLS.flatMap((protocol) => [
    over(protocol, '3g', 100, protocol === 'websocket' ? 160 : 480),
    over(protocol, '3g', 1000, protocol === 'websocket' ? 170 : 490),
    over(protocol, '4g', 100, protocol === 'websocket' ? 82 : 230),
    over(protocol, '4g', 1000, protocol === 'websocket' ? 85 : 232),
    over(protocol, '4g-lossy', 100, protocol === 'websocket' ? 140 : 400),
  ])
  const run = runWith(variantSteps)

  it('orders the profiles by round trip then loss, loopback first, and picks one shared load', () => {
    expect(networksIn(run)).toEqual(['loopback', '4g', '4g-lossy', '3g'])
    // 4g-lossy has no 1,000-client step: 100 is the largest load every profile measured.
    expect(networkConnections(run)).toBe(100)
    expect(networkConnections(runWith(variantSteps.filter((s) => s.network !== '4g-lossy')))).toBe(
      1000,
    )
    expect(networkConnections(runWith([]))).toBeUndefined()
    expect(networkStep(run, 'websocket', 'loopback', 1000)?.network).toBeUndefined()
    expect(networkStep(run, 'long-poll', '3g', 1000)?.latencyMs.p95).toBe(490)
  })

  it('charts latency over the one-way delay and recovery, one point per profile', () => {
    const [latency, beyond, recovery] = networkCharts(run, 100)
    expect(latency?.xLabels).toEqual(['loopback', '4g', '4g-lossy', '3g'])
    expect(latency?.lines.map((line) => line.label)).toEqual([
      'WebSocket',
      'long poll',
      'link one-way delay',
    ])
    // Loopback's step at 100 (p95 = connections ÷ 100 in the fixture), then each profile's.
    expect(latency?.lines[0]?.values).toEqual([1, 82, 140, 160])
    expect(latency?.lines[2]?.values).toEqual([0, 75, 75, 150])
    // Beyond the one-way delay: long polling's extra round trip shows, WebSocket's does not.
    expect(beyond?.lines[0]?.values).toEqual([1, 7, 65, 10])
    expect(beyond?.lines[1]?.values).toEqual([1, 155, 325, 330])
    expect(recovery?.lines[0]?.values).toEqual([null, 305, 305, 605])
  })

  it('marks a step the link emulator limited as not valid, naming why', () => {
    const limited = runWith([
      ...PROTOCOLS.map((protocol) => over(protocol, '4g', 100, 90)),
      over('websocket', '3g', 100, 170, { valid: false, invalidReason: 'relay CPU 91 %' }),
      over('long-poll', '3g', 100, 480),
    ])
    const [latency] = networkCharts(limited, 100)
    expect(latency?.lines[0]?.invalid).toEqual([null, null, 'relay CPU 91 %'])
  })
})

import { describe, expect, it } from 'vitest'
import type { ProcessSample } from '../kit/process-sampler.ts'
import type { SeriesLine } from '../kit/series.ts'
import { connectedIn, deriveStep, seriesLines, stepWindow, type StepRecord } from './step-derive.ts'
import type { StepPlan } from './step-plan.ts'

const PLAN: StepPlan = {
  protocol: 'websocket',
  design: 'reference',
  connections: 10,
  holdS: 5,
  rampS: 1,
  rateHz: 10,
  pollIntervalS: 1,
  budgetMs: 250,
  engine: 'builtin',
  root: '/repo',
  runDir: '/repo/results/x',
}
const tags = { protocol: 'websocket' }
const counter = (metric: string, t: number, sum: number): SeriesLine => ({
  t,
  metric,
  tags,
  type: 'counter',
  count: sum,
  sum,
})
const gauge = (metric: string, t: number, value: number): SeriesLine => ({
  t,
  metric,
  tags,
  type: 'gauge',
  value,
})
const sample = (t: number, cpuPercent: number, rssMiB: number): ProcessSample => ({
  t,
  cpuPercent,
  userPercent: cpuPercent / 2,
  systemPercent: cpuPercent / 2,
  rssMiB,
})
const seconds = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i)

/**
 * A step recorded second by second: VUs from t=100, ramp 1 s, hold 5 s, so the window is the
 * whole seconds [102, 106). Ten clients at 10 Hz: 100 frames a second.
 */
function record(overrides: Partial<StepRecord> = {}): StepRecord {
  return {
    engineStart: 99.4,
    summary: {
      metrics: {
        feed_latency: { avg: 2, min: 1, med: 2, 'p(90)': 3, 'p(95)': 4, 'p(99)': 6, max: 9 },
        feed_connect: { avg: 1, min: 1, med: 1, 'p(90)': 1, 'p(95)': 1, 'p(99)': 1, max: 1 },
        feed_frames: { count: 600 },
        data_received: { count: 600 * 380 },
        feed_gaps: { count: 0 },
        feed_resets: { count: 0 },
      },
    },
    engineLines: [
      ...seconds(100, 108).map((t) => gauge('vus', t, 10)),
      ...seconds(100, 108).map((t) => counter('feed_frames', t, 100)),
      ...seconds(100, 108).map((t) => gauge('engine_event_loop_delay_p99', t, 4)),
    ],
    samples: {
      server: seconds(100, 108).map((t) => sample(t + 0.5, 20, t >= 102 ? 60 : 50)),
      generator: seconds(100, 108).map((t) => sample(t + 0.5, 30, 100)),
      relay: null,
      nginx: null,
      redis: null,
    },
    clients: seconds(100, 108).map((t) => ({ t: t + 0.2, value: t >= 101 ? 10 : 3 })),
    rssBeforeMiB: 50,
    link: null,
    cores: 2,
    ...overrides,
  }
}
const FILES = { summary: 'a/summary.json', series: 'a/series.ndjson' }

describe('stepWindow', () => {
  it('starts the window one whole second after the ramp that follows the first VU or feed second', () => {
    expect(stepWindow(PLAN, record())).toEqual({ from: 102, to: 106, seconds: 4 })
  })

  it('falls back to the engine start when the series holds neither VUs nor feed metrics', () => {
    expect(stepWindow(PLAN, record({ engineLines: [] }))).toEqual({
      from: 101,
      to: 105,
      seconds: 4,
    })
  })
})

describe('connectedIn', () => {
  it('takes the most clients the server counted in the window, at most one per VU', () => {
    const window = stepWindow(PLAN, record())
    expect(connectedIn(PLAN, record(), window)).toBe(10)
    const doubled = record({ clients: [{ t: 103, value: 11 }] })
    expect(connectedIn(PLAN, doubled, window)).toBe(10)
  })
})

describe('deriveStep', () => {
  it('derives delivery, latency, memory per connection and a valid, within-budget verdict', () => {
    const step = deriveStep(PLAN, record(), FILES)
    expect(step).toMatchObject({
      connected: 10,
      holdS: 4,
      framesReceived: 400,
      framesExpected: 400,
      framesScheduled: 400,
      gaps: 0,
      bytesPerFrame: 380,
      latencyMs: { p50: 2, p95: 4, p99: 6 },
      valid: true,
      invalidReason: null,
      withinBudget: true,
      files: FILES,
    })
    expect(step.server.cpuPercent).toBe(20)
    // (60 − 50) MiB over 10 connections.
    expect(step.server.rssPerConnectionKiB).toBeCloseTo(1024, 6)
    expect(step.generator.eventLoopDelayP99Ms).toBe(4)
  })

  it('marks a step invalid when the generator used most of the cores or its event loop lagged', () => {
    const busy = record({
      samples: {
        ...record().samples,
        generator: seconds(100, 108).map((t) => sample(t, 180, 100)),
      },
    })
    expect(deriveStep(PLAN, busy, FILES).invalidReason).toBe('generator CPU 180 % of 2 cores')
    const late = record({
      engineLines: [
        ...record().engineLines,
        ...seconds(100, 108).map((t) => gauge('engine_event_loop_delay_p99', t, 250)),
      ],
    })
    expect(deriveStep(PLAN, late, FILES)).toMatchObject({
      valid: false,
      invalidReason: 'generator event-loop delay p99 250 ms',
    })
  })

  it('is over budget when frames were lost, even with a low p95', () => {
    const lossy = record()
    lossy.summary.metrics['feed_gaps'] = { count: 3 }
    expect(deriveStep(PLAN, lossy, FILES)).toMatchObject({ gaps: 3, withinBudget: false })
  })

  it('bounds p99 by the highest per-second p99 when the export has none', () => {
    const noP99 = record()
    noP99.summary.metrics['feed_latency'] = {
      avg: 2,
      min: 1,
      med: 2,
      'p(90)': 3,
      'p(95)': 4,
      max: 9,
    }
    noP99.engineLines.push({
      t: 103,
      metric: 'feed_latency',
      tags,
      type: 'trend',
      count: 100,
      min: 1,
      max: 8,
      avg: 2,
      p50: 2,
      p90: 3,
      p95: 4,
      p99: 7,
    })
    expect(deriveStep(PLAN, noP99, FILES).latencyMs.p99).toBe(7)
  })

  it('counts memory per client, not per held connection, for a poll protocol', () => {
    const poll = { ...PLAN, protocol: 'short-poll' as const }
    const step = deriveStep(poll, record({ clients: [] }), FILES)
    expect(step.connected).toBe(0)
    expect(step.server.rssPerConnectionKiB).toBeCloseTo(1024, 6)
  })
})

describe('seriesLines', () => {
  it("writes the engine's lines and the bench's samples in time order", () => {
    const lines = seriesLines(PLAN, record())
    expect(lines.map((l) => l.t)).toEqual([...lines.map((l) => l.t)].sort((a, b) => a - b))
    expect(lines.filter((l) => l.metric === 'server_cpu_percent')).toHaveLength(8)
    expect(lines.filter((l) => l.metric === 'server_clients')).toHaveLength(8)
    expect(lines.some((l) => l.metric === 'relay_cpu_percent')).toBe(false)
  })
})

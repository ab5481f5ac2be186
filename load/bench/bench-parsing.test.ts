import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { countOf, parseSummary, trendOf } from './k6-summary.ts'
import {
  estimateRunS,
  parseSeconds,
  parseSteps,
  parseProtocols,
  planLadders,
  parseNetworks,
  stepRampS,
} from './main.ts'
import { BENCH_DEFAULTS } from './defaults.ts'
import { mergeSummaries, readTrendSamples } from './load-merge.ts'
import { percentile } from '../kit/percentile.ts'
import { aggregateK6Json, counterSum, gaugeMax, parseSeries } from '../kit/series.ts'

const dir = mkdtempSync(join(tmpdir(), 'bench-parsing-'))
afterAll(() => {
  rmSync(dir, { recursive: true })
})

describe('k6 summary export', () => {
  const summary = parseSummary(
    JSON.stringify({
      metrics: {
        feed_latency: { avg: 5, min: 1, med: 4, max: 90, 'p(90)': 8, 'p(95)': 12, 'p(99)': 40 },
        feed_connect: { values: { avg: 2, min: 1, med: 2, max: 3, 'p(90)': 3, 'p(95)': 3 } },
        feed_frames: { count: 1200, rate: 100 },
      },
    }),
    'summary.json',
  )
  it('maps k6 stat names to the report distribution', () => {
    expect(trendOf(summary, 'feed_latency')).toEqual({
      avg: 5,
      min: 1,
      p50: 4,
      p90: 8,
      p95: 12,
      p99: 40,
      max: 90,
    })
  })
  it('falls back to max for p99 when the export has no p(99)', () => {
    expect(trendOf(summary, 'feed_connect').p99).toBe(3)
  })
  it('reads counters and treats absent metrics as zero', () => {
    expect(countOf(summary, 'feed_frames')).toBe(1200)
    expect(countOf(summary, 'feed_gaps')).toBe(0)
  })
  it('names the file when the export is not k6 JSON', () => {
    expect(() => parseSummary('{"foo":1}', 'x/summary.json')).toThrow(
      /x\/summary.json has no "metrics"/,
    )
    expect(() => parseSummary('nope', 'y.json')).toThrow(/y.json is not JSON/)
  })
})

describe('series', () => {
  it('computes percentiles as k6 does (linear interpolation)', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5)
    expect(percentile([10, 20, 30, 40, 50], 0.95)).toBeCloseTo(48)
    expect(percentile([], 0.99)).toBe(0)
  })

  it('aggregates k6 --out json points per second and metric + protocol tag', async () => {
    const file = join(dir, 'points.ndjson')
    const at = (s: number): string => new Date(s * 1000 + 250).toISOString()
    const lines = [
      { type: 'Metric', metric: 'feed_latency', data: { type: 'trend' } },
      { type: 'Metric', metric: 'feed_frames', data: { type: 'counter' } },
      {
        type: 'Point',
        metric: 'feed_latency',
        data: { time: at(100), value: 4, tags: { protocol: 'sse', url: 'a' } },
      },
      {
        type: 'Point',
        metric: 'feed_latency',
        data: { time: at(100), value: 8, tags: { protocol: 'sse', url: 'b' } },
      },
      {
        type: 'Point',
        metric: 'feed_latency',
        data: { time: at(101), value: 2, tags: { protocol: 'sse' } },
      },
      {
        type: 'Point',
        metric: 'feed_frames',
        data: { time: at(100), value: 1, tags: { protocol: 'sse' } },
      },
      {
        type: 'Point',
        metric: 'feed_frames',
        data: { time: at(100), value: 1, tags: { protocol: 'sse' } },
      },
    ]
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n')
    const series = await aggregateK6Json(file)
    const trend100 = series.find((l) => l.metric === 'feed_latency' && l.t === 100)
    expect(trend100).toMatchObject({
      type: 'trend',
      count: 2,
      min: 4,
      max: 8,
      p50: 6,
      tags: { protocol: 'sse' },
    })
    expect(series.find((l) => l.metric === 'feed_latency' && l.t === 101)).toMatchObject({
      count: 1,
    })
    expect(counterSum(series, 'feed_frames', 100, 101)).toBe(2)
  })

  it('parses engine series lines, skipping anything else', () => {
    const text = [
      '{"t":5,"metric":"feed_frames","tags":{},"type":"counter","count":3,"sum":3}',
      '{"t":6,"metric":"engine_event_loop_delay_p99","tags":{},"type":"gauge","value":12}',
      '{"t":7,"metric":"engine_event_loop_delay_p99","tags":{},"type":"gauge","value":30}',
      '{"hello":1}',
      'garbage',
    ].join('\n')
    const lines = parseSeries(text)
    expect(lines).toHaveLength(3)
    expect(gaugeMax(lines, 'engine_event_loop_delay_p99', 6, 7)).toBe(12)
    expect(gaugeMax(lines, 'engine_event_loop_delay_p99', 0, 100)).toBe(30)
    expect(gaugeMax(lines, 'absent', 0, 100)).toBeNull()
  })
})

describe('bench options', () => {
  it('reads durations in s, ms, m or bare seconds', () => {
    expect(parseSeconds('30s')).toBe(30)
    expect(parseSeconds('500ms')).toBe(0.5)
    expect(parseSeconds('2m')).toBe(120)
    expect(parseSeconds('7')).toBe(7)
    expect(() => parseSeconds('soon')).toThrow(/not a duration/)
  })
  it('requires rising positive steps', () => {
    expect(parseSteps('100,1000')).toEqual([100, 1000])
    expect(() => parseSteps('100,50')).toThrow(/must rise/)
    expect(() => parseSteps('0,5')).toThrow(/positive integers/)
  })
  it('takes known network profiles, leaves loopback (always run) out, and names an unknown one', () => {
    expect(parseNetworks('4g, 3g,4g,loopback')).toEqual(['4g', '3g'])
    expect(parseNetworks('none')).toEqual([])
    expect(() => parseNetworks('4g,5g')).toThrow(/unknown network profile "5g"; use loopback, lan/)
  })
  it('rejects an unknown protocol by name', () => {
    expect(parseProtocols('sse,websocket')).toEqual(['sse', 'websocket'])
    expect(() => parseProtocols('sse,mqtt')).toThrow(/unknown protocol "mqtt"/)
  })
})

describe('ladder plan', () => {
  const none = { baseline: [], cluster: [], encodings: [], allVariants: false }
  const name = (p: { design: string; topology: string; encoding: string | undefined }): string =>
    `${p.design} ${p.topology}${p.encoding === undefined ? '' : `/${p.encoding}`}`
  it('runs the single reference ladder, then the baseline when asked', () => {
    expect(planLadders('websocket', none).map(name)).toEqual(['reference single'])
    expect(planLadders('sse', { ...none, baseline: ['sse'] }).map(name)).toEqual([
      'reference single',
      'baseline single',
    ])
  })
  it('varies one dimension at a time from single/json', () => {
    const options = { ...none, cluster: [2, 4], encodings: ['binary', 'json'] }
    expect(planLadders('websocket', options).map(name)).toEqual([
      'reference single/json',
      'reference cluster-2/json',
      'reference cluster-4/json',
      'reference single/binary',
    ])
  })
  it('crosses every topology with every encoding with allVariants', () => {
    const options = { ...none, cluster: [2], encodings: ['json', 'binary'], allVariants: true }
    expect(planLadders('sse', options).map(name)).toEqual([
      'reference single/json',
      'reference single/binary',
      'reference cluster-2/json',
      'reference cluster-2/binary',
    ])
  })
  it('runs every --network profile on a single server with the base encoding', () => {
    const options = { ...none, cluster: [2], encodings: ['json', 'binary'], networks: ['4g', '3g'] }
    const plans = planLadders('websocket', options)
    expect(
      plans.map((p) => `${name(p)}${p.network === undefined ? '' : ` over ${p.network}`}`),
    ).toEqual([
      'reference single/json',
      'reference cluster-2/json',
      'reference single/binary',
      'reference single/json over 4g',
      'reference single/json over 3g',
    ])
    // The baseline stays on loopback.
    expect(
      planLadders('sse', { ...none, baseline: ['sse'], networks: ['4g'] }).map((p) => p.network),
    ).toEqual([undefined, '4g', undefined])
  })
  it('runs polls with the base encoding only: their replies are JSON whatever the encoding', () => {
    const options = { ...none, cluster: [2], encodings: ['json', 'binary'], allVariants: true }
    expect(planLadders('long-poll', options).map(name)).toEqual([
      'reference single/json',
      'reference cluster-2/json',
    ])
    expect(planLadders('short-poll', { ...none, encodings: ['binary'] }).map(name)).toEqual([
      'reference single/binary',
    ])
  })
})

describe('merging engine processes', () => {
  it('sums counters and recomputes trend percentiles from every raw sample, not averages', () => {
    const a = { metrics: { feed_frames: { count: 10, rate: 1 }, feed_latency: { 'p(99)': 1 } } }
    const b = { metrics: { feed_frames: { count: 5, rate: 0.5 }, feed_latency: { 'p(99)': 100 } } }
    const samples = readTrendSamples(
      [
        JSON.stringify({ metric: 'feed_latency', tags: { p: '1' }, values: [1, 1, 1, 1] }),
        JSON.stringify({ metric: 'feed_latency', tags: { p: '2' }, values: [100] }),
      ].join('\n'),
      'samples.ndjson',
    )
    const merged = mergeSummaries([a, b], samples)
    expect(merged.metrics['feed_frames']).toEqual({ count: 15, rate: 1.5 })
    const latency = merged.metrics['feed_latency']
    // Five samples 1,1,1,1,100: k6's p(50) is 1 and p(90) interpolates 1 → 100 at 0.6 of a rank.
    expect(latency?.['med']).toBe(1)
    expect(latency?.['p(90)']).toBeCloseTo(60.4, 9)
    expect(latency?.['count']).toBe(5)
    expect(latency?.['avg']).toBeCloseTo(20.8, 9)
  })

  it('names the file and line of a samples line it cannot read', () => {
    expect(() => readTrendSamples('{"metric":"x"}\n', 'bad.ndjson')).toThrow(/bad\.ndjson:1/)
  })
})

describe('how long a run takes', () => {
  const defaults = {
    steps: [...BENCH_DEFAULTS.steps],
    holdS: BENCH_DEFAULTS.holdS,
    rampS: BENCH_DEFAULTS.rampS,
    rampFollowsStep: true,
    networkSteps: [...BENCH_DEFAULTS.networkSteps],
    networkHoldS: BENCH_DEFAULTS.networkHoldS,
  }

  it('ramps a step one second per thousand connections, 2 s at least, --ramp at most', () => {
    expect(defaults.steps.map((connections) => stepRampS(defaults, connections))).toEqual([
      2, 2, 3, 5, 10,
    ])
    expect(stepRampS({ rampS: 4, rampFollowsStep: true }, 10000)).toBe(4)
    expect(stepRampS({ rampS: 7, rampFollowsStep: false }, 100)).toBe(7)
  })

  it('fits the loopback ladders in 10 minutes, and the default run with its links in 15', () => {
    const loopback = BENCH_DEFAULTS.protocols.map(() => ({}))
    expect(estimateRunS(defaults, loopback)).toBeLessThanOrEqual(600)
    const all = BENCH_DEFAULTS.protocols.flatMap((protocol) =>
      planLadders(protocol, {
        baseline: [],
        cluster: [],
        encodings: [],
        allVariants: false,
        networks: [...BENCH_DEFAULTS.networks],
      }),
    )
    expect(all).toHaveLength(BENCH_DEFAULTS.protocols.length * (1 + BENCH_DEFAULTS.networks.length))
    expect(estimateRunS(defaults, all)).toBeLessThanOrEqual(15 * 60)
    // Each step: its ramp, the hold and the overhead; a ladder over a link has its own steps and hold.
    expect(estimateRunS({ ...defaults, steps: [100] }, [{}])).toBe(
      2 + BENCH_DEFAULTS.holdS + BENCH_DEFAULTS.stepOverheadS,
    )
    expect(estimateRunS(defaults, [{ network: '4g' }])).toBe(
      BENCH_DEFAULTS.networkSteps.length *
        (2 + BENCH_DEFAULTS.networkHoldS + BENCH_DEFAULTS.stepOverheadS),
    )
  })
})

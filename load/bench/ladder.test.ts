import { describe, expect, it } from 'vitest'
import {
  deliveredPercent,
  effectiveBudgetMs,
  stepShortfalls,
  formatLadderVerdict,
  scheduledFrames,
  stopReason,
  summariseLadder,
  underDelivered,
  verdictOf,
} from './ladder.ts'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  isDefaultVariant,
  reportSchema,
  sameVariant,
  variantLabel,
  type Report,
  type StepResult,
} from './report-schema.ts'
import {
  formatBaselineRatios,
  formatComparison,
  formatLadders,
  formatTable,
  formatOverLink,
  formatVariantRatios,
  TABLE_COLUMNS,
  variantCell,
  verdict,
} from './terminal-table.ts'

/** The base budget and poll interval of the ladders here. */
const BUDGET = { budgetMs: 250, pollIntervalS: 1 }

const dist = (p95: number) => ({
  avg: p95 / 2,
  min: 0.1,
  p50: p95 / 2,
  p90: p95 * 0.9,
  p95,
  p99: p95 * 1.5,
  max: p95 * 2,
})

function step(overrides: Partial<StepResult> & Pick<StepResult, 'connections'>): StepResult {
  return {
    protocol: 'websocket',
    design: 'reference',
    connected: overrides.connections,
    holdS: 9,
    latencyMs: dist(10),
    connectMs: dist(3),
    framesExpected: overrides.connections * 90,
    framesReceived: overrides.connections * 90,
    gaps: 0,
    resets: 0,
    bytesPerFrame: 400,
    server: {
      cpuPercent: 20,
      cpuPeakPercent: 30,
      rssMiB: 80,
      rssPeakMiB: 81,
      rssPerConnectionKiB: 12,
    },
    generator: {
      cpuPercent: 50,
      cpuPeakPercent: 60,
      rssMiB: 120,
      rssPeakMiB: 121,
      eventLoopDelayP99Ms: 5,
    },
    valid: true,
    invalidReason: null,
    withinBudget: true,
    files: { summary: 's.json', series: 's.ndjson' },
    ...overrides,
  }
}

describe('ladder', () => {
  it('goes on while p95 is within budget and nothing is lost', () => {
    expect(stopReason(step({ connections: 100 }), 250)).toBeNull()
  })

  it('stops at the first step over budget and reports the most connections within it', () => {
    const steps = [
      step({ connections: 100 }),
      step({ connections: 1000 }),
      step({ connections: 2500, latencyMs: dist(300), withinBudget: false }),
      step({ connections: 5000 }),
    ]
    const ladder = summariseLadder('websocket', 'reference', steps, BUDGET, null)
    expect(ladder).toMatchObject({ maxConnectionsWithinBudget: 1000, stoppedAt: 2500 })
    expect(ladder.stopReason).toMatch(/p95 300.0 ms over the 250 ms budget/)
  })

  it('stops the reference ladder on gaps but lets the baseline ladder go on', () => {
    expect(stopReason(step({ connections: 100, gaps: 3 }), 250)).toMatch(/3 frames lost/)
    expect(stopReason(step({ connections: 100, gaps: 3, design: 'baseline' }), 250)).toBeNull()
  })

  it('counts no baseline step that lost frames as within budget, yet runs its whole ladder', () => {
    const lossy = (connections: number) =>
      step({ connections, gaps: 50, design: 'baseline', withinBudget: false })
    const ladder = summariseLadder('websocket', 'baseline', [lossy(100), lossy(1000)], BUDGET, null)
    expect(ladder).toMatchObject({ maxConnectionsWithinBudget: 0, stoppedAt: null })
  })

  it('stops when too few frames arrived, even without gaps', () => {
    expect(stopReason(step({ connections: 100, framesReceived: 4000 }), 250)).toMatch(
      /44.4 % of the scheduled frames arrived/,
    )
  })

  it('allows two seconds of frames at the window edges, plus one interval for short polls', () => {
    // 100 clients × 10 Hz × 9 s: 9000 expected, 1000 a second.
    const ws = step({ connections: 100, framesReceived: 7000 })
    expect(underDelivered(ws)).toBe(false)
    expect(underDelivered({ ...ws, framesReceived: 6900 })).toBe(true)
    const poll = step({ connections: 100, protocol: 'short-poll', framesReceived: 6000 })
    expect(underDelivered(poll, 1)).toBe(false)
    expect(underDelivered(poll, 0.5)).toBe(true)
  })

  it('goes on past an invalid step without counting it as within budget', () => {
    const s = step({
      connections: 5000,
      valid: false,
      invalidReason: 'generator CPU 190 % of 2 cores',
      latencyMs: dist(400),
      withinBudget: false,
    })
    expect(stopReason(s, 250)).toBeNull()
    expect(verdict(s)).toBe('INVALID: generator CPU 190 % of 2 cores')
    const ladder = summariseLadder(
      'websocket',
      'reference',
      [step({ connections: 1000 }), s, step({ connections: 10000, latencyMs: dist(300) })],
      BUDGET,
      null,
    )
    // The climb goes on past the invalid step; the verdict names it as the first failure.
    expect(ladder).toMatchObject({
      maxConnectionsWithinBudget: 1000,
      stoppedAt: 10000,
      firstFailed: { connections: 5000 },
    })
    expect(ladder.firstFailed?.reason).toMatch(/^invalid: the load generator was the limit/)
    // The bench's default stops the climb there instead (--full climbs on).
    const stopped = summariseLadder(
      'websocket',
      'reference',
      [step({ connections: 1000 }), s],
      BUDGET,
      null,
      true,
    )
    expect(stopped).toMatchObject({ maxConnectionsWithinBudget: 1000, stoppedAt: 5000 })
    expect(stopped.stopReason).toMatch(/generator CPU 190 % of 2 cores\); --full climbs on$/)
  })

  it('records a failed step as the stop when every measured step passed', () => {
    const ladder = summariseLadder('sse', 'reference', [], BUDGET, {
      connections: 100,
      reason: 'engine exited with 1',
    })
    expect(ladder).toEqual({
      protocol: 'sse',
      design: 'reference',
      maxConnectionsWithinBudget: 0,
      firstFailed: { connections: 100, reason: 'engine exited with 1' },
      stoppedAt: 100,
      stopReason: 'engine exited with 1',
    })
  })
})

describe('terminal output', () => {
  const report: Report = reportSchema.parse({
    schemaVersion: 1,
    runId: 'a',
    createdAt: '2026-01-01T00:00:00.000Z',
    machineLabel: 'test',
    profile: 'custom',
    parameters: {
      steps: [100],
      holdS: 10,
      rampS: 1,
      rateHz: 10,
      budgetMs: 250,
      pollIntervalS: 1,
      engine: 'builtin',
    },
    steps: [
      step({ connections: 100 }),
      step({
        connections: 100,
        design: 'baseline',
        server: {
          cpuPercent: 50,
          cpuPeakPercent: 60,
          rssMiB: 160,
          rssPeakMiB: 170,
          rssPerConnectionKiB: 30,
        },
      }),
    ],
    ladders: [],
  })

  it('prints one row per protocol × design × step', () => {
    const lines = formatTable(report, { wide: true }).split('\n')
    expect(lines).toHaveLength(4)
    // A step written before variants existed reads as the default variant; --wide shows the
    // variant column even when every step is that one.
    expect(lines[2]).toMatch(/^websocket\s+reference\s+default\s+100/)
    expect(lines[3]).toMatch(/^websocket\s+baseline\s+default\s+100/)
  })

  it('prints baseline ÷ reference ratios from the same run', () => {
    expect(formatBaselineRatios(report)).toMatch(/websocket\s+100\s+2\.50×\s+2\.00×/)
  })

  it('prints deltas between two runs matched by protocol, design and connections', () => {
    const later: Report = {
      ...report,
      runId: 'b',
      steps: report.steps.map((s) => ({
        ...s,
        server: { ...s.server, cpuPercent: s.server.cpuPercent * 2 },
      })),
    }
    const text = formatComparison(report, later)
    expect(text).toMatch(/^a → b/)
    expect(text).toMatch(/websocket\s+reference\s+single\s+100.*\+20\.0 \(\+100%\)/)
  })

  it('reads a step over a link against the link’s one-way delay, not as a ratio', () => {
    const reference = report.steps[0]
    if (reference === undefined) throw new Error('fixture has no step')
    const relay = { cpuPercent: 4, cpuPeakPercent: 5, rssMiB: 60, rssPeakMiB: 60 }
    const overLink: Report = {
      ...report,
      steps: [
        ...report.steps,
        {
          ...reference,
          network: '4g',
          latencyMs: { ...reference.latencyMs, p50: 80, p95: 230, p99: 240 },
          pingMs: { ...reference.latencyMs, p50: 152 },
          recoveryMs: { ...reference.latencyMs, p50: 310 },
          link: {
            network: '4g',
            rttMs: 150,
            relay: { ...relay, chunksPerS: 900, latePercent: 0.1, meanLateMs: 0.8, maxLateMs: 4 },
          },
        },
      ],
    }
    const text = formatOverLink(overLink)
    expect(text.split('\n')[0]).toMatch(/^protocol\s+network\s+conns\s+one-way\s+p50 \+\s+p95 \+/)
    // 80 − 75, 230 − 75, 240 − 75; ping 152 − 150; recovery 310; the relay's CPU; no loss.
    expect(text).toMatch(
      new RegExp(
        `${reference.protocol}\\s+4g\\s+${String(reference.connections)}\\s+75\\s+5\\.0\\s+155\\.0\\s+165\\.0\\s+[\\d.]+\\s+2\\.0\\s+310\\.0\\s+4\\.0\\s+–`,
      ),
    )
    expect(formatVariantRatios(overLink)).toBe('')
    expect(formatOverLink(report)).toBe('')
  })

  it('keeps variants apart: a cluster step is compared with the single step, never merged', () => {
    const reference = report.steps[0]
    if (reference === undefined) throw new Error('fixture has no step')
    const withCluster: Report = {
      ...report,
      steps: [
        ...report.steps,
        {
          ...reference,
          topology: 'cluster-2',
          latencyMs: { ...reference.latencyMs, p50: reference.latencyMs.p50 * 3 },
          server: { ...reference.server, cpuPercent: reference.server.cpuPercent * 1.5 },
          serverParts: {
            nginx: { cpuPercent: 7, cpuPeakPercent: 9, rssMiB: 5, rssPeakMiB: 5 },
            redis: { cpuPercent: 3, cpuPeakPercent: 4, rssMiB: 8, rssPeakMiB: 8 },
          },
        },
      ],
    }
    const table = formatTable(withCluster, { wide: true }).split('\n')
    expect(table[4]).toMatch(/^websocket\s+reference\s+cluster-2\s+100/)
    const ratios = formatVariantRatios(withCluster)
    expect(ratios).toMatch(/websocket\s+cluster-2\s+100\s+1\.50×\s+1\.00×\s+3\.00×/)
    expect(ratios).toMatch(/7\.0\/3\.0$/)
    // The baseline ratio is still reference-single against baseline only.
    expect(formatBaselineRatios(withCluster).split('\n')).toHaveLength(3)
    // --compare matches the cluster step only with a cluster step.
    const onlySingle: Report = { ...report, runId: 'single-only' }
    expect(formatComparison(onlySingle, withCluster)).not.toMatch(/cluster-2/)
  })
})

describe('report schema variants', () => {
  it('validates the committed published report, whose variant steps are ones its parameters asked for', () => {
    const text = readFileSync(
      new URL('../../results/published/report.json', import.meta.url),
      'utf8',
    )
    const report = reportSchema.parse(JSON.parse(text))
    expect(report.steps.some(isDefaultVariant)).toBe(true)
    const topologies = report.parameters.topologies ?? ['single']
    const encodings = report.parameters.encodings ?? []
    for (const step of report.steps) {
      expect(topologies).toContain(step.topology ?? 'single')
      if (step.encoding !== undefined) expect(encodings).toContain(step.encoding)
    }
  })

  it('tells the default variant from cluster and encoding variants', () => {
    expect(isDefaultVariant({})).toBe(true)
    expect(isDefaultVariant({ topology: 'single', encoding: 'json' })).toBe(true)
    expect(isDefaultVariant({ topology: 'cluster-2' })).toBe(false)
    expect(isDefaultVariant({ encoding: 'binary' })).toBe(false)
    expect(variantLabel({ topology: 'cluster-2', encoding: 'binary' })).toBe('cluster-2/binary')
    expect(isDefaultVariant({ network: 'loopback' })).toBe(true)
    expect(isDefaultVariant({ network: '4g' })).toBe(false)
    expect(variantLabel({ topology: 'single', encoding: 'json', network: '4g' })).toBe(
      'single/json over 4g',
    )
    // The end table's short form: only what differs from the default.
    const cell = (variant: Partial<StepResult>): string => variantCell(variant as StepResult)
    expect(cell({ topology: 'single', encoding: 'json' })).toBe('default')
    expect(cell({ topology: 'cluster-2', encoding: 'binary' })).toBe('cluster-2/binary')
    expect(cell({ encoding: 'json', network: '4g-lossy' })).toBe('4g-lossy')
    expect(sameVariant({ network: 'loopback' }, {})).toBe(true)
    expect(sameVariant({ network: '4g' }, {})).toBe(false)
    expect(() => reportSchema.shape.steps.element.shape.topology.parse('cluster-0')).toThrow()
  })
})

describe('the end table on a terminal', () => {
  const recorded = reportSchema.parse(
    JSON.parse(
      readFileSync(join(import.meta.dirname, '../../results/published/report.json'), 'utf8'),
    ),
  )

  it.each([120, 80])('keeps every line of a recorded run within %i columns', (width) => {
    const text = formatTable(recorded, { width })
    const lines = text.split('\n')
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(width)
    // The most important figures stay; what was left out is said.
    expect(lines[0]).toMatch(
      width >= 120 ? /^protocol\s.*p95 ms.*deliv%.*verdict$/ : /^protocol\s.*p95 ms.*verdict$/,
    )
    expect(text).toMatch(/\d+ more column\(s\) with --wide/)
  })

  it('shows every column with --wide, and numbers each invalid step’s reason under the table', () => {
    const wide = formatTable(recorded, { wide: true }).split('\n')
    for (const column of TABLE_COLUMNS) expect(wide[0]).toContain(column)
    const narrow = formatTable(recorded, { width: 120 })
    const invalid = recorded.steps.filter((step) => !step.valid)
    expect(invalid.length).toBeGreaterThan(0)
    expect(narrow).toContain(`INVALID [${String(invalid.length)}]`)
    const first = invalid[0]
    if (first === undefined) throw new Error('no invalid step')
    expect(narrow).toContain(
      `[1] ${first.protocol} ${first.design} ${variantLabel(first)} ${String(first.connections)}: INVALID: ${first.invalidReason ?? ''}`,
    )
  })
})

describe('the one verdict rule on a recorded run', () => {
  const recorded = reportSchema.parse(
    JSON.parse(
      readFileSync(join(import.meta.dirname, '../../results/published/report.json'), 'utf8'),
    ),
  )
  const verdictFor = (protocol: string, design: string, variant: string) => {
    const ladder = recorded.ladders.find(
      (l) => l.protocol === protocol && l.design === design && variantLabel(l) === variant,
    )
    if (ladder === undefined) throw new Error(`no ${protocol} ${design} ${variant} ladder`)
    return verdictOf(ladder, recorded)
  }

  it('names an invalid top step as the first failure, not "every step passed"', () => {
    const verdict = verdictFor('websocket', 'reference', 'single/json')
    expect(verdict.withinBudget).toBe(5000)
    expect(verdict.firstFailed?.connections).toBe(10000)
    expect(verdict.firstFailed?.reason).toMatch(/^invalid: the load generator was the limit/)
  })

  it('gives the baseline the reason of its first failed step, not of its last', () => {
    // The seeds' per-connection timers lose frames from the first step on.
    const verdict = verdictFor('websocket', 'baseline', 'single')
    expect(verdict.withinBudget).toBe(0)
    expect(verdict.firstFailed?.connections).toBe(100)
    expect(verdict.firstFailed?.reason).toMatch(/^[\d,]+ frames lost$/)
  })

  it('counts within budget only below the first failure, and says why that step failed', () => {
    // SSE on two instances behind nginx goes over budget at 5,000, not before.
    const cluster = verdictFor('sse', 'reference', 'cluster-2/json')
    expect(cluster.withinBudget).toBe(2500)
    expect(cluster.firstFailed?.connections).toBe(5000)
    expect(cluster.firstFailed?.reason).toMatch(/^p95 \d+ ms over the 250 ms budget$/)
    // Long polling over 3g fails its first step on its extra round trip alone: the budget is
    // 250 ms plus the 150 ms one-way delay, and long polling adds a 300 ms round trip.
    const overThreeG = verdictFor('long-poll', 'reference', 'single/json over 3g')
    expect(overThreeG.withinBudget).toBe(0)
    expect(overThreeG.firstFailed?.reason).toMatch(/^p95 \d+ ms over the 400 ms budget$/)
  })

  it('prints each ladder as that verdict', () => {
    const lines = formatLadders(recorded).split('\n')
    expect(lines[0]).toBe(
      `websocket reference single/json [builtin]: ${formatLadderVerdict(verdictFor('websocket', 'reference', 'single/json'))}`,
    )
    expect(lines[0]).toMatch(
      /most connections within budget 5,000; first failed step 10,000: invalid/,
    )
    for (const line of formatLadders(recorded, 120).split('\n'))
      expect(line.length).toBeLessThanOrEqual(120)
  })
})

describe('frames delivered and lost: one definition', () => {
  it('counts delivery against the frames due while connected, so it never passes 100 %', () => {
    // 1,000 due in the window (990 received, 10 found missing); the schedule promised 950 as
    // the generator filed some late frames into the window.
    const due = { framesExpected: 1000, framesReceived: 990 }
    expect(deliveredPercent(due)).toBe(99)
    expect(deliveredPercent({ framesExpected: 1000, framesReceived: 1000 })).toBe(100)
    // An older run held the schedule in framesExpected: edge effects read as 100, not 102.6.
    expect(deliveredPercent({ framesExpected: 190000, framesReceived: 195000 })).toBe(100)
    expect(deliveredPercent({ framesExpected: 0, framesReceived: 0 })).toBeNull()
  })

  it('judges under-delivery against the schedule: clients that never connected leave it short', () => {
    const base = { protocol: 'sse' as const, holdS: 19, framesReceived: 58000 }
    // 5,000 clients scheduled, 3,000 connected: all due frames arrived, the schedule was not met.
    expect(underDelivered({ ...base, framesExpected: 58000, framesScheduled: 95000 })).toBe(true)
    expect(underDelivered({ ...base, framesExpected: 58000, framesScheduled: 58500 })).toBe(false)
    expect(scheduledFrames({ framesExpected: 7, framesScheduled: 9 })).toBe(9)
    expect(scheduledFrames({ framesExpected: 7 })).toBe(7)
  })
})

describe('steps over an emulated link', () => {
  it('judges a step by what the protocol adds to the link’s one-way delay', () => {
    const plan = { protocol: 'long-poll', budgetMs: 250, pollIntervalS: 1 } as const
    expect(effectiveBudgetMs(plan)).toBe(250)
    expect(effectiveBudgetMs({ ...plan, network: 'loopback' })).toBe(250)
    expect(effectiveBudgetMs({ ...plan, network: '3g' })).toBe(250 + 150)
    expect(effectiveBudgetMs({ ...plan, protocol: 'short-poll', network: '4g' })).toBe(
      250 + 1000 + 75,
    )
    // Over 3g, long polling's p95 of 420 ms is 270 ms over the one-way delay: over budget.
    const slow = step({
      connections: 100,
      protocol: 'long-poll',
      network: '3g',
      latencyMs: dist(420),
    })
    expect(stepShortfalls(slow, { parameters: { budgetMs: 250, pollIntervalS: 1 } })).toEqual([
      'p95 420 ms over the 400 ms budget',
    ])
    expect(
      stepShortfalls(
        { ...slow, latencyMs: dist(380) },
        { parameters: { budgetMs: 250, pollIntervalS: 1 } },
      ),
    ).toEqual([])
  })

  it('names the link emulator when it was the limit', () => {
    const limited = step({
      connections: 5000,
      valid: false,
      invalidReason: 'link emulator CPU 97 % of one core',
      withinBudget: false,
    })
    const ladder = summariseLadder(
      'sse',
      'reference',
      [step({ connections: 1000 }), limited],
      BUDGET,
      null,
    )
    expect(ladder.firstFailed?.reason).toBe(
      'invalid: the link emulator was the limit (link emulator CPU 97 % of one core)',
    )
  })
})

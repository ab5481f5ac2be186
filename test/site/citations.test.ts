/**
 * The one citation resolver (`resolveCitation`): a figure may only come from a step that is
 * valid, within budget, fully connected and fully delivered for every protocol it names, at one
 * load and variant for all of them; `failed="why"` is the only way to cite one that is not.
 * Each rule is shown failing the build (a problem string) and passing.
 */
import { describe, expect, it } from 'vitest'
import type { StepResult } from '../../load/bench/report-schema.ts'
import { SOURCES_LINE, step } from './fixtures/step.ts'
import { stepShortfalls } from '../../load/bench/ladder.ts'
import {
  citationProblem,
  resolveCitation,
  type CitableRun,
  type Citation,
} from '../../site/src/lib/figures.ts'
import { checkQuestion } from '../../site/src/lib/question-checks.ts'

const FILE = 'results/test/report.json'
const PARAMETERS = { budgetMs: 250, pollIntervalS: 1 }

function runOf(...steps: StepResult[]): CitableRun {
  return { steps, parameters: PARAMETERS }
}

const both: Citation = { id: 'latency.p95', protocols: ['websocket', 'sse'] }

/** The resolved connection count, or the problem. */
function resolve(run: CitableRun, citation: Citation): number | string {
  const resolved = resolveCitation(run, citation, FILE)
  return typeof resolved === 'string' ? resolved : resolved.connections
}

describe('resolveCitation', () => {
  const holding = [100, 1000, 5000].flatMap((n) => [step('websocket', n), step('sse', n)])

  it('without connections, takes the largest step where every named protocol holds', () => {
    expect(resolve(runOf(...holding), both)).toBe(5000)
    const sseInvalidAt5000 = holding.map((s) =>
      s.protocol === 'sse' && s.connections === 5000
        ? { ...s, valid: false, invalidReason: 'generator CPU 190 %' }
        : s,
    )
    // WebSocket alone still cites 5000; the pair falls back to the common 1000.
    expect(resolve(runOf(...sseInvalidAt5000), { ...both, protocols: ['websocket'] })).toBe(5000)
    expect(resolve(runOf(...sseInvalidAt5000), both)).toBe(1000)
  })

  it('never cites each protocol at its own best: one load for all', () => {
    const run = runOf(step('websocket', 5000), step('sse', 1000))
    expect(resolve(run, both)).toMatch(/has no connection count where websocket, sse all hold/)
  })

  it.each([
    [
      'invalid',
      { valid: false, invalidReason: 'generator CPU 190 %' },
      /sse invalid: the load generator was the limit \(generator CPU 190 %\)/,
    ],
    [
      'over budget',
      {
        latencyMs: { avg: 1, min: 1, p50: 1, p90: 1, p95: 400, p99: 500, max: 600 },
        withinBudget: false,
      },
      /sse p95 400 ms over the 250 ms budget/,
    ],
    ['under-connected', { connected: 4000 }, /sse 4,000 of 5,000 clients held/],
    [
      'under-delivered',
      { framesReceived: 200_000, withinBudget: false },
      /sse 40\.0 % of the scheduled frames arrived/,
    ],
    ['losing frames', { gaps: 12, withinBudget: false }, /sse 12 frames lost/],
  ] as const)('fails the build for a cited step that is %s', (_name, changes, message) => {
    const run = runOf(step('websocket', 5000), step('sse', 5000, changes))
    const problem = resolve(run, { ...both, connections: 5000 })
    expect(problem).toMatch(message)
    expect(problem).toMatch(/at 5,000 connections \(reference design, single\)/)
    expect(problem).toMatch(/or mark the citation failed="why this failure teaches something"/)
    // …and passes when the citation says why the failure is worth showing.
    const failed = resolveCitation(run, { ...both, connections: 5000, failed: 'the limit' }, FILE)
    if (typeof failed === 'string') throw new Error(failed)
    expect(failed.steps.map((c) => c.shortfalls.length > 0)).toEqual([false, true])
    expect(failed.failed).toBe('the limit')
  })

  it('names the largest step that holds when a cited count does not', () => {
    const run = runOf(
      ...holding,
      step('websocket', 10_000),
      step('sse', 10_000, { connected: 6895 }),
    )
    expect(resolve(run, { ...both, connections: 10_000 })).toMatch(
      /the largest step where websocket, sse all hold is 5,000 connections/,
    )
  })

  it('fails for a load one protocol was not measured at, and for a missing variant', () => {
    const run = runOf(step('websocket', 1000), step('websocket', 5000), step('sse', 1000))
    expect(resolve(run, { ...both, connections: 5000 })).toBe(
      `${FILE} has no sse step at 5000 connections (reference design, single)`,
    )
    expect(resolve(run, { ...both, topology: 'cluster-2' })).toMatch(
      /has no websocket, sse step of that variant \(reference design, cluster-2\)/,
    )
  })

  it('cites a link profile only from its own steps, and names a profile the run lacks', () => {
    const over4g = (protocol: StepResult['protocol'], changes: Partial<StepResult> = {}) =>
      step(protocol, 1000, {
        network: '4g',
        latencyMs: { ...step(protocol, 1000).latencyMs, p95: 90 },
        ...changes,
      })
    const run = runOf(...holding, over4g('websocket'), over4g('sse'))
    const onLink = resolveCitation(run, { ...both, network: '4g' }, FILE)
    expect(
      typeof onLink === 'string' ? onLink : onLink.steps.map((c) => c.step.latencyMs.p95),
    ).toEqual([90, 90])
    // Loopback (the default) never picks the 4g steps up, nor the other way round.
    expect(resolve(run, both)).toBe(5000)
    expect(resolve(run, { ...both, network: 'loopback' })).toBe(5000)
    expect(resolve(run, { ...both, network: '3g' })).toMatch(
      /has no websocket, sse step of that variant \(reference design, single over 3g\)/,
    )
    expect(resolve(run, { ...both, network: 'moon' })).toMatch(
      /network "moon" is not one of loopback, /,
    )
    // The same rules on a link: a step the emulator limited is not citable.
    const limited = runOf(
      over4g('websocket'),
      over4g('sse', { valid: false, invalidReason: 'relay CPU 92 %' }),
    )
    expect(resolve(limited, { ...both, network: '4g' })).toMatch(
      /no connection count where websocket, sse all hold/,
    )
  })

  it('refuses failed= on steps that all hold, and an empty failed=', () => {
    expect(resolve(runOf(...holding), { ...both, failed: 'stale' })).toMatch(
      /failed="stale" but every cited step holds at 5,000 connections/,
    )
    expect(resolve(runOf(...holding), { ...both, failed: ' ' })).toMatch(/failed="" must say why/)
  })

  it('with failed= and no connections, cites the largest step every protocol reached', () => {
    const run = runOf(
      ...holding,
      step('websocket', 10_000),
      step('sse', 10_000, { connected: 6895 }),
    )
    expect(resolve(run, { ...both, failed: 'where SSE ran out of room' })).toBe(10_000)
  })
})

describe('stepShortfalls', () => {
  it('is empty for a step that holds, and judges short poll against budget plus interval', () => {
    expect(stepShortfalls(step('websocket', 100), { parameters: PARAMETERS })).toEqual([])
    const stale = { avg: 1, min: 1, p50: 1, p90: 1, p95: 900, p99: 990, max: 999 }
    expect(
      stepShortfalls(step('short-poll', 100, { latencyMs: stale }), { parameters: PARAMETERS }),
    ).toEqual([])
    expect(
      stepShortfalls(step('websocket', 100, { latencyMs: stale }), { parameters: PARAMETERS }),
    ).toEqual(['p95 900 ms over the 250 ms budget'])
  })
})

describe('checkQuestion', () => {
  it('fails the build naming the question file and the tag of a citation that does not hold', () => {
    const run = {
      ...runOf(step('websocket', 100), step('sse', 100, { gaps: 3 })),
      reportFile: FILE,
    }
    const tag = '<Measured id="latency.p95" protocols={["websocket","sse"]} connections={100} />'
    expect(() => {
      checkQuestion(
        {
          id: 'sse/q',
          body: `Latency: ${tag}.${SOURCES_LINE}`,
          data: { topic: 'sse', labs: [], metrics: [] },
        },
        run,
      )
    }).toThrow(
      `questions/sse/q.mdx: ${tag}: ${FILE} at 100 connections (reference design, single): sse 3 frames lost`,
    )
    const marked = tag.replace(' />', ' failed="three frames lost show what a gap is" />')
    expect(() => {
      checkQuestion(
        {
          id: 'sse/q',
          body: `Latency: ${marked}.${SOURCES_LINE}`,
          data: { topic: 'sse', labs: [], metrics: [] },
        },
        run,
      )
    }).not.toThrow()
    expect(citationProblem(run, { ...both, connections: 100 }, FILE)).toMatch(/sse 3 frames lost/)
  })
})

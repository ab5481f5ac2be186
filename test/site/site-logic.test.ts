/**
 * The site's logic without a browser: reconnect backoff, the live tracker's gap accounting,
 * the series reader, citation checks and figure selection.
 */
import { describe, expect, it } from 'vitest'
import { backoffDelay, BACKOFF_DEFAULTS } from '../../site/src/live/backoff.ts'
import { FeedTracker } from '../../site/src/live/feed-tracker.ts'
import { parseSeries } from '../../site/src/lib/step-series.ts'
import { readSourceRegion } from '../../site/src/lib/source-region.ts'
import {
  checkQuestion,
  staleClaims,
  type CheckedQuestion,
} from '../../site/src/lib/question-checks.ts'
import { largestSharedStep } from '../../site/src/lib/figures.ts'
import { matchesFilter, parseDone } from '../../site/src/lib/question-filter.ts'
import type { RunEntry } from '../../site/src/lib/results-loader.ts'
import type { FrameMessage, SnapshotMessage } from '../../servers/feed/messages.ts'
import { SOURCES_LINE } from './fixtures/step.ts'

const snapshot = (seq: number, epoch = 'e1'): SnapshotMessage => ({
  type: 'snapshot',
  epoch,
  seq,
  t: 0,
  sprites: [],
  events: [],
})
const frame = (seq: number, epoch = 'e1'): FrameMessage => ({
  type: 'frame',
  epoch,
  seq,
  t: 0,
  sprites: [],
  events: [],
})

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, with at most half of it random', () => {
    expect(backoffDelay(0, BACKOFF_DEFAULTS, 0)).toBe(BACKOFF_DEFAULTS.baseMs / 2)
    expect(backoffDelay(0, BACKOFF_DEFAULTS, 0.999)).toBeLessThan(BACKOFF_DEFAULTS.baseMs)
    expect(backoffDelay(3, BACKOFF_DEFAULTS, 0)).toBe((BACKOFF_DEFAULTS.baseMs * 8) / 2)
    expect(backoffDelay(50, BACKOFF_DEFAULTS, 0.999)).toBeLessThan(BACKOFF_DEFAULTS.capMs)
    expect(backoffDelay(50, BACKOFF_DEFAULTS, 0)).toBe(BACKOFF_DEFAULTS.capMs / 2)
  })
})

describe('FeedTracker', () => {
  it('counts missing seqs as gaps and ignores duplicates', () => {
    const tracker = new FeedTracker()
    tracker.receive(snapshot(10))
    tracker.receive(frame(11))
    tracker.receive(frame(11))
    tracker.receive(frame(14))
    expect(tracker.counters().gaps).toBe(2)
    expect(tracker.counters().frames).toBe(2)
    expect(tracker.cursor).toEqual({ epoch: 'e1', since: 14 })
  })

  it('does not count the jump after an announced reset as a gap', () => {
    const tracker = new FeedTracker()
    tracker.receive(snapshot(10))
    tracker.receive({ type: 'reset', epoch: 'e1', seq: 900, reason: 'expired' })
    tracker.receive(snapshot(900))
    tracker.receive(frame(901))
    expect(tracker.counters()).toMatchObject({ gaps: 0, resets: 1, seq: 901 })
  })

  it('counts a silent jump in a snapshot of the same epoch as a gap', () => {
    const tracker = new FeedTracker()
    tracker.receive(snapshot(10))
    tracker.receive(snapshot(20))
    expect(tracker.counters().gaps).toBe(9)
  })
})

describe('parseSeries', () => {
  it('reads feed_latency percentiles and feed_frames per second from bench NDJSON', () => {
    const text = [
      { t: 1000, metric: 'vus', tags: {}, type: 'gauge', value: 20 },
      {
        t: 1000,
        metric: 'feed_latency',
        tags: {},
        type: 'trend',
        count: 2,
        min: 1,
        max: 3,
        avg: 2,
        p50: 2,
        p90: 3,
        p95: 3,
        p99: 3,
      },
      { t: 1000, metric: 'feed_frames', tags: {}, type: 'counter', count: 200, sum: 200 },
      {
        t: 1001,
        metric: 'feed_latency',
        tags: {},
        type: 'trend',
        count: 2,
        min: 4,
        max: 6,
        avg: 5,
        p50: 5,
        p90: 6,
        p95: 6,
        p99: 6,
      },
    ]
      .map((line) => JSON.stringify(line))
      .join('\n')
    expect(parseSeries(text)).toEqual([
      { s: 0, p50: 2, p95: 3, p99: 3, frames: 200 },
      { s: 1, p50: 5, p95: 6, p99: 6, frames: null },
    ])
  })

  it('returns null for a file without latency lines', () => {
    expect(parseSeries('{"t":1,"metric":"vus","tags":{},"type":"gauge","value":1}\n')).toBeNull()
  })
})

describe('readSourceRegion', () => {
  it('reads a whole file and refuses a missing one or a path outside the repository', () => {
    expect(readSourceRegion('servers/transports/protocols.ts').code).toContain(
      'export const PROTOCOL_TABLE',
    )
    expect(() => readSourceRegion('servers/no-such-file.ts')).toThrow(
      /no-such-file\.ts.*no such file/,
    )
    expect(() => readSourceRegion('../etc/passwd')).toThrow(/inside the repository/)
  })

  it('names a missing region', () => {
    expect(() => readSourceRegion('servers/feed/messages.ts', 'nowhere')).toThrow(
      /region="nowhere".*#region nowhere/,
    )
  })
})

describe('checkQuestion', () => {
  it('names the question file and every citation that does not exist', () => {
    const entry: CheckedQuestion = {
      id: 'sse/why-sse',
      body: '<Lab slug="no-such-lab" /> <Measured id="latency.p42" protocols={["sse"]} /> <Source path="nope.ts" />',
      data: {
        topic: 'polling',
        labs: ['heartbeat', 'gone'],
        metrics: [{ id: 'latency.p99', protocols: ['sse'] }],
      },
    }
    expect(() => {
      checkQuestion(entry)
    }).toThrow(
      /^questions\/sse\/why-sse\.mdx: .*topic "polling".*no lab "gone".*no-such-lab.*latency\.p42.*nope\.ts/,
    )
  })

  it('accepts a question whose citations all exist', () => {
    expect(() => {
      checkQuestion({
        id: 'sse/fine',
        body: `<Lab slug="heartbeat" /> <Measured id="latency.p99" protocols={["sse"]} /> <Source path="servers/feed/messages.ts" />${SOURCES_LINE}`,
        data: { topic: 'sse', labs: ['heartbeat'], metrics: [{ id: 'gaps', protocols: ['sse'] }] },
      })
    }).not.toThrow()
  })

  it('fails an answer without a Sources line that links its primary sources, and spares topic overviews', () => {
    const answer = (id: string, body: string) => ({
      id,
      body,
      data: { topic: 'sse', labs: [], metrics: [] },
    })
    for (const body of ['Events end with a blank line.', 'Events end.\n\n**Sources**: the spec.'])
      expect(() => {
        checkQuestion(answer('sse/format', body))
      }).toThrow(/questions\/sse\/format\.mdx: no "\*\*Sources\*\*:" line/)
    expect(() => {
      checkQuestion(answer('sse/format', `Events end with a blank line.${SOURCES_LINE}`))
    }).not.toThrow()
    expect(() => {
      checkQuestion(answer('sse/index', 'What interviewers probe.'))
    }).not.toThrow()
  })
})

describe('the study list filter', () => {
  const question = {
    id: 'sse/limits',
    topic: 'sse',
    difficulty: 'mid',
    text: 'What are the limits of SSE? Six connections per origin.',
  }
  const any = { search: '', topic: '', difficulty: '', hideDone: false }

  it('matches every word of the search in any order, case-insensitively, and the chosen topic and level', () => {
    expect(matchesFilter(question, any, new Set())).toBe(true)
    expect(matchesFilter(question, { ...any, search: 'ORIGIN six' }, new Set())).toBe(true)
    expect(matchesFilter(question, { ...any, search: 'six websocket' }, new Set())).toBe(false)
    expect(matchesFilter(question, { ...any, topic: 'polling' }, new Set())).toBe(false)
    expect(matchesFilter(question, { ...any, difficulty: 'senior' }, new Set())).toBe(false)
    expect(matchesFilter(question, { ...any, topic: 'sse', difficulty: 'mid' }, new Set())).toBe(
      true,
    )
  })

  it('hides done questions only when asked, and reads stored ticks defensively', () => {
    const done = parseDone('["sse/limits", 7, null]')
    expect([...done]).toEqual(['sse/limits'])
    expect(matchesFilter(question, any, done)).toBe(true)
    expect(matchesFilter(question, { ...any, hideDone: true }, done)).toBe(false)
    for (const stored of [null, 'not json', '{"a":1}']) expect(parseDone(stored).size).toBe(0)
  })
})

describe('links between answers', () => {
  const answer = (body: string, related: string[] = []) => ({
    id: 'scaling/lb',
    body: `${body}${SOURCES_LINE}`,
    data: { topic: 'scaling', labs: [], metrics: [], related },
  })
  const ids = new Set(['scaling/lb', 'scaling/sticky-sessions'])
  /** Every body of `rejected` fails the check naming `problem`; `accepted` passes it. */
  const expectRule = (rejected: readonly string[], problem: RegExp, accepted: string): void => {
    for (const body of rejected)
      expect(() => {
        checkQuestion(answer(body), undefined, ids)
      }).toThrow(problem)
    expect(() => {
      checkQuestion(answer(accepted), undefined, ids)
    }).not.toThrow()
  }

  it('fails a "see the … question" that is not a link, across a line break too', () => {
    expectRule(
      [
        'Only if the server holds state (see the sticky-sessions question).',
        'Only if the server holds state — see\nthe sticky sessions question.',
      ],
      /see\s+the sticky.sessions question" is not a link/,
      'Only if it holds state (see [the sticky-sessions question](/questions/scaling/sticky-sessions/)).',
    )
  })

  it('fails an answer that mentions the seeds without linking the page that explains them', () => {
    expectRule(
      ["The seeds' demo reconnected after 3 s.", 'Seed 004 claimed it.'],
      /mentions the seeds without a link/,
      '[Seed 004](/seeds/#seed-004) claimed it.',
    )
  })

  it('fails an answer that calls a run "reference", the name of the server design', () => {
    expectRule(
      ['Resets were 0 in the reference run.', 'Read results/reference/report.json.'],
      /"reference" names the server design/,
      'The reference design sent 0 resets in the published run.',
    )
  })

  it('fails a link or a related entry naming a question that does not exist', () => {
    expect(() => {
      checkQuestion(
        answer('See [the sharding question](/questions/scaling/sharding/).'),
        undefined,
        ids,
      )
    }).toThrow(/link to \/questions\/scaling\/sharding\/: no such question/)
    expect(() => {
      checkQuestion(answer('Balance on connections.', ['scaling/sharding']), undefined, ids)
    }).toThrow(/related: no question "scaling\/sharding"/)
    expect(() => {
      checkQuestion(answer('Balance on connections.', ['scaling/sticky-sessions']), undefined, ids)
    }).not.toThrow()
  })
})

describe('the stale-claim check', () => {
  const entry = (body: string, missing: { feature: string; reason: string }[] = []) => ({
    id: 'scaling/x',
    body: `${body}${SOURCES_LINE}`,
    data: { topic: 'scaling', labs: [], metrics: [], missing },
  })

  it('fails on a sentence that says the lab lacks something, naming the sentence', () => {
    for (const body of [
      'In the lab, JWT auth is not yet built.',
      'A production deployment would do this; the lab currently runs one process.',
      'The lab does not implement an Origin allowlist.',
      'The lab has no TLS option.',
      'TLS and a proxy in front are not part of the lab, so answers describe production.',
    ]) {
      expect(staleClaims(body), body).toHaveLength(1)
      expect(() => {
        checkQuestion(entry(body))
      }).toThrow(/questions\/scaling\/x\.mdx: stale claim ".*": say what the lab does now/)
    }
  })

  it('passes the same sentence when the frontmatter lists the feature as missing, and ignores other uses of the words', () => {
    expect(() => {
      checkQuestion(
        entry('The lab does not implement a game server.', [
          { feature: 'game server', reason: 'the lab studies transports, not game logic' },
        ]),
      )
    }).not.toThrow()
    expect(staleClaims('`bufferedAmount` counts bytes queued and not yet sent.')).toEqual([])
    expect(
      staleClaims('The lab runs a cluster; a client not yet caught up gets a replay.'),
    ).toEqual([])
  })
})

describe('largestSharedStep', () => {
  it('picks the largest connection count every listed protocol reached', () => {
    const step = (protocol: string, connections: number): unknown => ({
      protocol,
      design: 'reference',
      connections,
    })
    const run = {
      steps: [
        step('websocket', 100),
        step('websocket', 1000),
        step('sse', 100),
        step('sse', 1000),
        step('websocket', 5000),
      ],
    } as unknown as RunEntry
    expect(largestSharedStep(run, ['websocket', 'sse'], 'reference')).toBe(1000)
    expect(largestSharedStep(run, ['websocket'], 'reference')).toBe(5000)
    expect(largestSharedStep(run, ['long-poll'], 'reference')).toBeUndefined()
  })
})

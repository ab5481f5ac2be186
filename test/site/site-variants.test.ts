/**
 * The site's variant support without a browser: the single-vs-cluster and JSON-vs-binary
 * comparison built from a real quick bench run (test/site/fixtures/quick-variants), variant
 * citations (`<Measured topology=… encoding=…>`) and their build-time checks, and the live
 * page's decoding of a `--encoding binary` server's frames.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { reportSchema, type StepResult } from '../../load/bench/report-schema.ts'
import { encodeBinaryMessage } from '../../servers/feed/binary-codec.ts'
import { encodeFrame, encodeReset, encodeSnapshot } from '../../servers/feed/codec.ts'
import type { FrameMessage, SnapshotMessage } from '../../servers/feed/messages.ts'
import { Simulation } from '../../servers/feed/simulation.ts'
import {
  VARIANT_BENCH_COMMAND,
  citationProblem,
  findStep,
  largestSharedStep,
} from '../../site/src/lib/figures.ts'
import {
  checkQuestion,
  measuredCitation,
  type CheckedQuestion,
} from '../../site/src/lib/question-checks.ts'
import { splitVariants, type RunEntry } from '../../site/src/lib/results-loader.ts'
import { variantComparisons, variantTables } from '../../site/src/lib/variant-specs.ts'
import { decodeSocketMessage, decodeSseData } from '../../site/src/live/feed-decoding.ts'
import { SOURCES_LINE } from './fixtures/step.ts'

const FIXTURE = new URL('fixtures/quick-variants/report.json', import.meta.url)
const REPORT_FILE = 'results/quick-variants/report.json'

/** The fixture run as the site's loader stores it. */
function fixtureRun(): RunEntry {
  const report = reportSchema.parse(JSON.parse(readFileSync(FIXTURE, 'utf8')))
  return {
    ...report,
    ...splitVariants(report),
    folder: 'quick-variants',
    reportFile: REPORT_FILE,
    series: [],
  }
}

/** The same run with its variant steps left out, as a run without `--cluster` / `--encodings` is. */
const withoutVariants = (run: RunEntry): RunEntry => ({
  ...run,
  variantSteps: [],
  variantLadders: [],
})

const stepOf = (
  run: RunEntry,
  protocol: StepResult['protocol'],
  connections: number,
  topology: string,
  encoding: string,
): StepResult => {
  const step = [...run.steps, ...run.variantSteps].find(
    (candidate) =>
      candidate.protocol === protocol &&
      candidate.connections === connections &&
      (candidate.topology ?? 'single') === topology &&
      (candidate.encoding ?? 'json') === encoding,
  )
  if (step === undefined) throw new Error(`fixture has no ${protocol} ${topology}/${encoding}`)
  return step
}

describe('splitVariants', () => {
  it('keeps only the default variant in steps and every other variant apart', () => {
    const run = fixtureRun()
    expect(run.steps.length).toBeGreaterThan(0)
    expect(run.steps.every((step) => (step.topology ?? 'single') === 'single')).toBe(true)
    expect(run.steps.every((step) => (step.encoding ?? 'json') === 'json')).toBe(true)
    expect(
      new Set(run.variantSteps.map((step) => `${step.topology ?? ''}/${step.encoding ?? ''}`)),
    ).toEqual(new Set(['single/binary', 'cluster-2/json', 'cluster-2/binary']))
    expect(run.variantLadders.length).toBe(6)
  })
})

describe('variantComparisons', () => {
  const run = fixtureRun()
  const comparisons = variantComparisons(run)

  it('compares single with cluster-2 and json with binary, per protocol, holding the other dimension at its default', () => {
    expect(comparisons.map((c) => `${c.dimension}:${c.protocol}:${c.values.join(',')}`)).toEqual([
      'topology:websocket:single,cluster-2',
      'topology:sse:single,cluster-2',
      'encoding:websocket:json,binary',
      'encoding:sse:json,binary',
    ])
  })

  it('charts the measured figures of the matching steps, default first', () => {
    const topology = comparisons.find((c) => c.dimension === 'topology' && c.protocol === 'sse')
    const latency = topology?.charts.find((chart) => chart.id.endsWith('latency-p99'))
    expect(latency?.x).toEqual([20, 50])
    expect(latency?.lines.map((line) => line.label)).toEqual(['single', 'cluster-2'])
    expect(latency?.lines[1]?.values).toEqual([
      stepOf(run, 'sse', 20, 'cluster-2', 'json').latencyMs.p99,
      stepOf(run, 'sse', 50, 'cluster-2', 'json').latencyMs.p99,
    ])
    const encoding = comparisons.find((c) => c.dimension === 'encoding' && c.protocol === 'sse')
    const bytes = encoding?.charts.find((chart) => chart.id.endsWith('bytes-per-frame'))
    expect(bytes?.lines[0]?.values).toEqual([
      stepOf(run, 'sse', 20, 'single', 'json').bytesPerFrame,
      stepOf(run, 'sse', 50, 'single', 'json').bytesPerFrame,
    ])
    expect(bytes?.lines[1]?.values).toEqual([
      stepOf(run, 'sse', 20, 'single', 'binary').bytesPerFrame,
      stepOf(run, 'sse', 50, 'single', 'binary').bytesPerFrame,
    ])
  })

  it('shades the connection counts where a compared step was generator-limited', () => {
    // The fixture's WebSocket single/binary step at 50 connections is invalid; its other steps are valid.
    expect(stepOf(run, 'websocket', 50, 'single', 'binary').valid).toBe(false)
    const encoding = comparisons.find(
      (c) => c.dimension === 'encoding' && c.protocol === 'websocket',
    )
    for (const chart of encoding?.charts ?? []) expect(chart.shaded).toEqual([[35, 50]])
    const sse = comparisons.find((c) => c.dimension === 'encoding' && c.protocol === 'sse')
    for (const chart of sse?.charts ?? []) expect(chart.shaded).toEqual([])
  })

  it('is empty for a run without variant steps', () => {
    expect(variantComparisons(withoutVariants(run))).toEqual([])
    expect(variantTables(withoutVariants(run))).toEqual([])
    expect(VARIANT_BENCH_COMMAND).toContain('--cluster')
  })
})

describe('variantTables', () => {
  it('lists every step of a protocol with its ratio to the default step at the same count', () => {
    const run = fixtureRun()
    const websocket = variantTables(run).find((table) => table.protocol === 'websocket')
    expect(websocket?.rows.map((row) => `${String(row.step.connections)} ${row.variant}`)).toEqual([
      '20 single/json',
      '20 single/binary',
      '20 cluster-2/json',
      '20 cluster-2/binary',
      '50 single/json',
      '50 single/binary',
      '50 cluster-2/json',
      '50 cluster-2/binary',
    ])
    const cluster = websocket?.rows.find(
      (row) => row.variant === 'cluster-2/json' && row.step.connections === 50,
    )
    const single = stepOf(run, 'websocket', 50, 'single', 'json')
    expect(cluster?.baseline).toBe(single)
    expect(cluster?.ratios.cpu).toBeCloseTo(
      (cluster?.step.server.cpuPercent ?? 0) / single.server.cpuPercent,
      12,
    )
    expect(cluster?.step.serverParts?.nginx.cpuPercent).toBeGreaterThanOrEqual(0)
  })
})

describe('variant citations', () => {
  const run = fixtureRun()

  it('finds a variant step and the largest count a variant shared', () => {
    const step = findStep(run, 'websocket', 'reference', 50, { topology: 'cluster-2' })
    expect(step?.topology).toBe('cluster-2')
    expect(step?.encoding ?? 'json').toBe('json')
    expect(findStep(run, 'sse', 'reference', 20, { encoding: 'binary' })?.encoding).toBe('binary')
    // The default variant never picks a variant step, whichever list holds it.
    expect(findStep(run, 'websocket', 'reference', 50)?.topology ?? 'single').toBe('single')
    expect(
      largestSharedStep(run, ['websocket', 'sse'], 'reference', { topology: 'cluster-2' }),
    ).toBe(50)
    expect(
      largestSharedStep(run, ['websocket'], 'reference', { topology: 'cluster-4' }),
    ).toBeUndefined()
  })

  it('reports a variant the run did not measure, naming the report file', () => {
    const cite = { id: 'latency.p99', protocols: ['websocket'] as const }
    expect(citationProblem(run, { ...cite, topology: 'cluster-2' }, REPORT_FILE)).toBeUndefined()
    expect(citationProblem(run, { ...cite, encoding: 'binary' }, REPORT_FILE)).toBeUndefined()
    expect(citationProblem(run, { ...cite, topology: 'cluster-4' }, REPORT_FILE)).toBe(
      `${REPORT_FILE} has no websocket step of that variant (reference design, cluster-4); a run with variants: ${VARIANT_BENCH_COMMAND}`,
    )
    expect(
      citationProblem(run, { ...cite, topology: 'cluster-2', connections: 5000 }, REPORT_FILE),
    ).toBe(`${REPORT_FILE} has no websocket step at 5000 connections (reference design, cluster-2)`)
    expect(
      citationProblem(
        run,
        { id: 'server.cpu', protocols: ['long-poll'], encoding: 'binary', connections: 20 },
        REPORT_FILE,
      ),
    ).toBe(
      `${REPORT_FILE} has no long-poll step of that variant (reference design, single/binary); a run with variants: ${VARIANT_BENCH_COMMAND}`,
    )
    expect(citationProblem(run, { ...cite, topology: 'two' }, REPORT_FILE)).toMatch(
      /topology "two"/,
    )
    expect(citationProblem(run, { ...cite, encoding: 'msgpack' }, REPORT_FILE)).toMatch(
      /encoding "msgpack" is not one of json, binary/,
    )
    // A step the run did not measure fails the build in the default variant too; with no run
    // there is nothing to check.
    expect(citationProblem(run, { ...cite, connections: 5000 }, REPORT_FILE)).toBe(
      `${REPORT_FILE} has no websocket step at 5000 connections (reference design, single)`,
    )
    expect(citationProblem(undefined, { ...cite, topology: 'cluster-4' }, '')).toBeUndefined()
  })

  it('reads a <Measured> tag with its variant props', () => {
    expect(
      measuredCitation(
        `<Measured id="server.cpu" protocols={['websocket', "sse"]} connections={50} topology="cluster-2" encoding="binary" />`,
      ),
    ).toEqual({
      id: 'server.cpu',
      protocols: ['websocket', 'sse'],
      connections: 50,
      design: undefined,
      topology: 'cluster-2',
      encoding: 'binary',
    })
    expect(measuredCitation('<Measured id="server.cpu" protocols={["carrier-pigeon"]} />')).toMatch(
      /protocols must be a literal list/,
    )
    expect(
      measuredCitation('<Measured id="server.cpu" protocols={["sse"]} design="naive" />'),
    ).toMatch(/design must be reference or baseline/)
  })

  it('fails the question check naming the question, the tag and the report when a variant is missing', () => {
    const question = (body: string, metrics: CheckedQuestion['data']['metrics'] = []) => ({
      id: 'scaling/cluster',
      body: `${body}${SOURCES_LINE}`,
      data: { topic: 'scaling', labs: [], metrics },
    })
    expect(() => {
      checkQuestion(
        question(
          '<Measured id="latency.p99" protocols={["websocket","sse"]} topology="cluster-2" />',
          [{ id: 'bytesPerFrame', protocols: ['sse'], encoding: 'binary' }],
        ),
        run,
      )
    }).not.toThrow()
    expect(() => {
      checkQuestion(
        question('<Measured id="latency.p99" protocols={["websocket"]} topology="cluster-4" />'),
        run,
      )
    }).toThrow(
      `questions/scaling/cluster.mdx: <Measured id="latency.p99" protocols={["websocket"]} topology="cluster-4" />: ${REPORT_FILE} has no websocket step of that variant`,
    )
    expect(() => {
      checkQuestion(
        question('', [
          { id: 'server.cpu', protocols: ['websocket'], connections: 5000, topology: 'cluster-2' },
        ]),
        run,
      )
    }).toThrow(
      `questions/scaling/cluster.mdx: metrics "server.cpu": ${REPORT_FILE} has no websocket step at 5000 connections (reference design, cluster-2)`,
    )
  })
})

describe('live decoding of a --encoding binary server', () => {
  const simulation = new Simulation({ seed: 7, rate: 10, sprites: 5, events: 5 })
  const step = simulation.step()
  const frameText = encodeFrame(
    'e1',
    step.seq,
    1_700_000_000_123.25,
    step.sprites,
    step.changed,
    'pad',
  )
  const frame = JSON.parse(frameText) as FrameMessage
  const snapshotText = encodeSnapshot(
    'e1',
    9,
    1_700_000_000_200.5,
    step.sprites,
    simulation.events(),
  )
  const snapshot = JSON.parse(snapshotText) as SnapshotMessage
  const bytes = (message: FrameMessage | SnapshotMessage): Uint8Array =>
    encodeBinaryMessage(message)

  it('decodes a binary WebSocket message (ArrayBuffer) into the frame its JSON form gives', () => {
    const encoded = bytes(frame)
    const buffer = encoded.buffer.slice(encoded.byteOffset, encoded.byteOffset + encoded.byteLength)
    expect(decodeSocketMessage(buffer)).toEqual({ message: frame, encoding: 'binary' })
    expect(decodeSocketMessage(frameText)).toEqual({ message: frame, encoding: 'json' })
  })

  it('decodes base64 SSE data and leaves JSON data (reset, pong) as JSON', () => {
    const base64 = Buffer.from(bytes(snapshot)).toString('base64')
    expect(decodeSseData(base64)).toEqual({ message: snapshot, encoding: 'binary' })
    const reset = encodeReset('e1', 12, 'expired')
    expect(decodeSseData(reset)).toEqual({
      message: JSON.parse(reset) as unknown,
      encoding: 'json',
    })
  })

  it('drops what is neither JSON nor a well-formed binary message instead of throwing', () => {
    const truncated = bytes(frame).slice(0, 30)
    expect(decodeSocketMessage(truncated.buffer)).toBeUndefined()
    expect(decodeSseData('not base64 at all!')).toBeUndefined()
    expect(decodeSseData(Buffer.from('hello').toString('base64'))).toBeUndefined()
    expect(decodeSseData('{"no":"type"}')).toBeUndefined()
    expect(decodeSocketMessage(new Blob(['x']))).toBeUndefined()
  })
})

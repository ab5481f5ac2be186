import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ExecutionTuple } from './execution-segment.ts'
import { runTest } from './runner.ts'
import { vuBlockSize, workerIndexOf } from './worker-pool.ts'

const dir = mkdtempSync(join(tmpdir(), 'engine-runner-'))

function script(name: string, body: string): string {
  const path = join(dir, name)
  writeFileSync(path, body)
  return path
}

const quiet = {
  quiet: true,
  noSummary: true,
  env: {},
  flags: {},
  stdout: () => undefined,
  stderr: () => undefined,
}

/** VU ids 1..total dealt to workers, as runTest deals them. */
function deal(total: number, workerCount: number): number[][] {
  const block = vuBlockSize(total, workerCount)
  const byWorker: number[][] = Array.from({ length: workerCount }, () => [])
  for (let vuId = 1; vuId <= total; vuId++)
    byWorker[workerIndexOf(vuId, block, workerCount)]?.push(vuId)
  return byWorker
}

describe('dealing VUs to worker threads', () => {
  it('gives each worker runs of 50 consecutive VUs at 1000 VUs, evenly', () => {
    const [first, second] = deal(1000, 2)
    expect(first?.slice(0, 51)).toEqual([...Array.from({ length: 50 }, (_, i) => i + 1), 101])
    expect(second?.slice(0, 2)).toEqual([51, 52])
    expect([first?.length, second?.length]).toEqual([500, 500])
  })

  it('deals a few VUs one by one, so every thread gets work', () => {
    expect(deal(6, 2)).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ])
    expect(deal(3, 4)).toEqual([[1], [2], [3], []])
  })

  it('keeps the threads within one run of each other at any VU count', () => {
    for (const workerCount of [1, 2, 3, 8]) {
      for (let total = 1; total <= 600; total += 7) {
        const lengths = deal(total, workerCount).map((ids) => ids.length)
        const spread = Math.max(...lengths) - Math.min(...lengths)
        expect(spread).toBeLessThanOrEqual(vuBlockSize(total, workerCount))
        // Every run is at most a quarter of a thread's share: no thread waits for a whole ramp.
        if (total >= workerCount * 4)
          expect(vuBlockSize(total, workerCount)).toBeLessThanOrEqual(total / workerCount / 4)
      }
    }
  })
})

describe('runTest', () => {
  it('gives every VU its own module state', async () => {
    const path = script(
      'isolation.ts',
      `import { Gauge } from 'k6/metrics'
const seen = new Gauge('module_counter')
let counter = 0
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 4, iterations: 3 } } }
export default function () {
  counter++
  seen.add(counter, { vu: String(__VU) })
}
`,
    )
    const result = await runTest({ ...quiet, scriptPath: path, workers: 2 })
    expect(result.exitCode).toBe(0)
    const series = result.store.seriesOf('module_counter')
    // Shared module state would count to 12 across the VUs; per-VU state stops at 3 each.
    expect(series.map((s) => s.tags['vu']).sort()).toEqual(['1', '2', '3', '4'])
    for (const s of series) expect(s.max).toBe(3)
    expect(result.store.values('iterations', 1000)['count']).toBe(12)
  })

  it('runs setup once, hands its data to the VUs and teardown, and shares iterations', async () => {
    const path = script(
      'lifecycle.ts',
      `import { Counter } from 'k6/metrics'
const got = new Counter('got_setup')
const torn = new Counter('teardown_calls')
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 3, iterations: 10 } } }
export function setup() { return { n: 5 } }
export default function (data: { n: number }) { got.add(data.n) }
export function teardown(data: { n: number }) { torn.add(data.n) }
`,
    )
    const result = await runTest({ ...quiet, scriptPath: path, workers: 2 })
    expect(result.store.values('iterations', 1000)['count']).toBe(10)
    expect(result.store.values('got_setup', 1000)['count']).toBe(50)
    expect(result.store.values('teardown_calls', 1000)['count']).toBe(5)
  })

  it('shares iterations exactly when VUs are dealt to the threads in runs', async () => {
    const path = script(
      'shared-runs.ts',
      `export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 40, iterations: 107 } } }
export default function () {}
`,
    )
    // 40 VUs on two threads: runs of 5, so each thread's quota is summed over its runs.
    expect(vuBlockSize(40, 2)).toBe(5)
    const result = await runTest({ ...quiet, scriptPath: path, workers: 2 })
    expect(result.exitCode).toBe(0)
    expect(result.store.values('iterations', 1000)['count']).toBe(107)
  })

  it('exits 99 when a threshold fails, and 0 when it holds', async () => {
    const path = script(
      'threshold.ts',
      `import { Trend } from 'k6/metrics'
const t = new Trend('value_ms')
export const options = { iterations: 4, thresholds: { value_ms: [__ENV.RULE] } }
export default function () { t.add(10) }
`,
    )
    const failing = await runTest({ ...quiet, env: { RULE: 'p(95)<5' }, scriptPath: path })
    expect(failing.exitCode).toBe(99)
    expect(failing.verdicts).toEqual([
      expect.objectContaining({ source: 'p(95)<5', ok: false, actual: 10 }),
    ])
    const passing = await runTest({ ...quiet, env: { RULE: 'p(95)<50' }, scriptPath: path })
    expect(passing.exitCode).toBe(0)
  })

  it('refuses a synchronous http.get with an error naming http.asyncRequest', async () => {
    const path = script(
      'sync-get.ts',
      `import http from 'k6/http'
export default function () { http.get('http://127.0.0.1:9/') }
`,
    )
    let errors = ''
    const result = await runTest({ ...quiet, scriptPath: path, stderr: (text) => (errors += text) })
    expect(result.exitCode).toBe(107)
    expect(errors).toMatch(
      /http\.get\(\) is synchronous.*await http\.asyncRequest\('GET', url, body, params\)/,
    )
  })

  it('splits VUs and iterations between two segments with distinct test-wide VU ids', async () => {
    const path = script(
      'segments.ts',
      `import exec from 'k6/execution'
import { Counter } from 'k6/metrics'
const seen = new Counter('vu_seen')
export const options = {
  scenarios: {
    each: { executor: 'per-vu-iterations', vus: 5, iterations: 2, exec: 'each' },
    shared: { executor: 'shared-iterations', vus: 3, iterations: 10, exec: 'shared' },
  },
}
export function each() { seen.add(1, { id: String(exec.vu.idInTest), underscore: String(__VU) }) }
export function shared() {}
`,
    )
    const halves = await Promise.all(
      ['0:1/2', '1/2:1'].map((segment) =>
        runTest({
          ...quiet,
          scriptPath: path,
          workers: 2,
          segment: ExecutionTuple.parse(segment, '0,1/2,1'),
        }),
      ),
    )
    const ids = halves.map((result) =>
      result.store.seriesOf('vu_seen').map((s) => Number(s.tags['id'])),
    )
    // 5 VUs split 3 + 2, numbered 1,3,5 and 2,4 in the whole test; __VU reads the same number.
    expect(ids.map((list) => [...list].sort((a, b) => a - b))).toEqual([
      [1, 3, 5],
      [2, 4],
    ])
    for (const result of halves)
      for (const s of result.store.seriesOf('vu_seen'))
        expect(s.tags['underscore']).toBe(s.tags['id'])
    const iterations = halves.map(
      (result) => result.store.values('iterations', 1000, { scenario: 'shared' })['count'],
    )
    // shared-iterations: 10 iterations split by the VUs each half got (2 and 1).
    expect(iterations).toEqual([7, 3])
    const perVu = halves.map(
      (result) => result.store.values('iterations', 1000, { scenario: 'each' })['count'],
    )
    expect(perVu).toEqual([6, 4])
  })
})

/**
 * The fuzzer in the test suite (DESIGN.md guarantee 4 over the whole class of inputs): at
 * least 2,000 generated connections of hostile HTTP — every request-target form, header and
 * framing abuse, pipelining, cursors, tokens and message bodies on every entry point — sent
 * and WebSocket sessions of random frames — sent in batches to a live server process and to
 * the seeds' baseline, each with bystanders connected; then 1,000 to the cluster behind
 * nginx (skipped with the reason where redis-server or nginx is absent). After every batch:
 * alive, `/healthz` 200, no bystander seq gap, RSS within the bound, no 500 and nothing
 * caught by the guard. `npm run fuzz -- --minutes N` runs longer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  clusterMissing,
  startBaselineTarget,
  startClusterTarget,
  startReferenceTarget,
  type FuzzTarget,
} from './fuzz-target.ts'
import { runFuzz } from './run-fuzz.ts'

const CASES = 2000
const BATCH = 25

let targets: FuzzTarget[] = []

beforeAll(async () => {
  targets = await Promise.all([startReferenceTarget(), startBaselineTarget()])
}, 30_000)
afterAll(async () => {
  await Promise.all(targets.map((target) => target.stop()))
})

describe('the HTTP fuzzer', () => {
  it(`keeps both servers up and every bystander whole over ${String(CASES)}+ hostile connections`, async () => {
    const result = await runFuzz(targets, { batchSize: BATCH, numRuns: CASES / BATCH })
    expect(result.failure, `seed ${String(result.seed)}`).toBeNull()
    expect(result.cases).toBeGreaterThanOrEqual(CASES)
  }, 90_000)
})

const missing = clusterMissing()

describe.skipIf(missing !== null)(
  `the HTTP fuzzer on the cluster behind nginx (needs ${missing ?? 'redis-server and nginx'})`,
  () => {
    let cluster: FuzzTarget | undefined
    beforeAll(async () => {
      cluster = await startClusterTarget()
    }, 30_000)
    afterAll(async () => {
      await cluster?.stop()
    })

    it(`keeps nginx, both instances and every bystander whole over ${String(CASES / 2)}+ hostile connections`, async () => {
      if (cluster === undefined) throw new Error('the cluster did not start')
      const result = await runFuzz([cluster], { batchSize: BATCH, numRuns: CASES / 2 / BATCH })
      expect(result.failure, `seed ${String(result.seed)}`).toBeNull()
    }, 90_000)
  },
)

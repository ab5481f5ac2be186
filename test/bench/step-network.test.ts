/**
 * A bench step over an emulated link: the step runner starts the relay (and, for a loss
 * profile, the namespace) in front of the server, measures through it, and records the
 * link with the relay's own CPU and lateness. Over 4g, every frame arrives at least the
 * link's one-way delay (75 ms) after it was sent.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { runStep } from '../../load/bench/step-runner.ts'
import { stepSchema } from '../../load/bench/report-schema.ts'
import { lossUnavailable } from '../../load/network/loss-namespace.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const runDir = mkdtempSync(join(tmpdir(), 'rl-step-network-'))
afterAll(() => {
  rmSync(runDir, { recursive: true, force: true })
})

const plan = (network: string) =>
  ({
    protocol: 'sse',
    design: 'reference',
    connections: 20,
    holdS: 4,
    rampS: 1,
    rateHz: 20,
    pollIntervalS: 1,
    budgetMs: 1000,
    engine: 'builtin',
    root: ROOT,
    runDir: join(runDir, network),
    network,
  }) as const

describe('a bench step over a link', () => {
  const network = lossUnavailable() === null ? '4g-lossy' : '4g'
  it(`measures SSE over ${network}: latency above the one-way delay, the relay's cost recorded`, async () => {
    const step = stepSchema.parse(await runStep(plan(network), () => undefined))
    expect(step.network).toBe(network)
    expect(step.link?.network).toBe(network)
    expect(step.link?.rttMs).toBe(150)
    expect(step.invalidReason).toBeNull()
    expect(step.valid).toBe(true)
    expect(step.connected).toBe(20)
    expect(step.latencyMs.min).toBeGreaterThanOrEqual(75)
    expect(step.latencyMs.p50).toBeLessThan(75 + 100)
    expect(step.link?.relay?.cpuPercent).toBeGreaterThan(0)
    // A POST /api/ping crosses the link both ways: at least its round trip.
    expect(step.pingMs?.p50).toBeGreaterThanOrEqual(150)
    // 20 clients × 20 frames a second cross the relay, with a chunk or more each.
    expect(step.link?.relay?.chunksPerS).toBeGreaterThan(300)
    if (network === '4g-lossy') {
      expect(step.link?.loss?.percent).toBe(1)
      expect(step.link?.loss?.packets).toBeGreaterThan(100)
    }
  }, 60_000)
})

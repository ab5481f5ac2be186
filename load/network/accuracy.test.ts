import { describe, expect, it } from 'vitest'
import { measureAccuracy } from './accuracy.ts'

describe('the link emulator at 1,000 connections', () => {
  it('adds its delay within ±2 ms or ±5 %, its jitter, and holds every connection to its cap within ±10 %', async () => {
    const result = await measureAccuracy({ connections: 1000, seconds: 2 })
    const { delay, jitter, bandwidth, cost } = result
    expect(Math.abs(delay.addedMs - delay.configuredMs)).toBeLessThanOrEqual(delay.toleranceMs)
    // Uniform ± jitter each way: the round trip spreads at least three quarters as much as
    // expected. Above, a shared CI machine's timer lateness adds its own spread (the test
    // suite runs files side by side): the bound there only catches a jitter applied twice;
    // how exact it is, is what `node load/network/accuracy.ts` measures on a quiet machine.
    expect(jitter.measuredStdMs).toBeGreaterThan(jitter.expectedStdMs * 0.75)
    expect(jitter.measuredStdMs).toBeLessThan(jitter.expectedStdMs * 2)
    expect(bandwidth.meanRatio).toBeGreaterThan(0.9)
    expect(bandwidth.meanRatio).toBeLessThan(1.1)
    expect(bandwidth.minRatio).toBeGreaterThan(0.9)
    expect(bandwidth.maxRatio).toBeLessThan(1.1)
    // It reports its own cost: 1,000 connections × 5 pings a second, each relayed both ways.
    expect(cost.chunksPerS).toBeGreaterThan(5000)
    expect(cost.cpuUsPerChunk).toBeGreaterThan(0)
  }, 60_000)
})

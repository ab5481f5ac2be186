import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { LOOP_DELAY_RESOLUTION_MS, startLoopDelayProbe } from './loop-delay.ts'

/** Keeps this thread busy for `ms` (no timer can fire meanwhile). */
function block(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // spin
  }
}

describe('loop delay probe', () => {
  it('reads how late due timers ran: about 0 idle, about the block when the loop is blocked', async () => {
    const probe = startLoopDelayProbe()
    try {
      await sleep(LOOP_DELAY_RESOLUTION_MS * 8)
      // The timer's own interval is not delay: an idle loop reads under one interval (the
      // histogram alone reads the interval itself, 50 ms and up).
      const idle = probe.p99Ms()
      probe.reset()
      // A reset forgets the last fire, so the interval that ends first after it is not
      // recorded (Node's histogram): let one pass before blocking.
      await sleep(LOOP_DELAY_RESOLUTION_MS * 2)
      block(300)
      await sleep(LOOP_DELAY_RESOLUTION_MS * 2)
      const blocked = probe.p99Ms()
      expect(idle).toBeGreaterThanOrEqual(0)
      expect(idle).toBeLessThan(LOOP_DELAY_RESOLUTION_MS)
      // The fire due during the block ran when it ended: up to one interval before its end.
      expect(blocked).toBeGreaterThanOrEqual(300 - LOOP_DELAY_RESOLUTION_MS - 5)
      expect(blocked).toBeLessThan(1000)
    } finally {
      probe.stop()
    }
  })

  it('starts a new period at reset', async () => {
    const probe = startLoopDelayProbe()
    try {
      await sleep(LOOP_DELAY_RESOLUTION_MS * 2)
      block(200)
      await sleep(LOOP_DELAY_RESOLUTION_MS * 2)
      expect(probe.p99Ms()).toBeGreaterThanOrEqual(100)
      probe.reset()
      await sleep(LOOP_DELAY_RESOLUTION_MS * 8)
      expect(probe.p99Ms()).toBeLessThan(LOOP_DELAY_RESOLUTION_MS)
    } finally {
      probe.stop()
    }
  })
})

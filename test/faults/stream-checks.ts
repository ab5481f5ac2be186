/**
 * Assertions shared by the fault tests: DESIGN.md guarantees 2 and 3 read off the
 * messages that one logical client received across its reconnections.
 */
import { expect } from 'vitest'
import type { ServerMessage } from '../../servers/feed/messages.ts'

/** The seqs of every frame and snapshot in `messages`, in arrival order. */
export function feedSeqs(messages: readonly ServerMessage[]): number[] {
  return messages.flatMap((m) => (m.type === 'frame' || m.type === 'snapshot' ? [m.seq] : []))
}

/** Expect every frame exactly once, in order: seq grows by exactly 1 each time. */
export function expectContiguous(seqs: readonly number[], label = ''): void {
  const breaks = seqs.flatMap((seq, i) =>
    i > 0 && seq !== (seqs[i - 1] ?? 0) + 1 ? [`${String(seqs[i - 1])}→${String(seq)}`] : [],
  )
  expect(breaks, `${label} seqs not consecutive (gap or repeat)`).toEqual([])
}

/** Wait up to `timeoutMs` for `done()` to hold, checking every 10 ms. */
export async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

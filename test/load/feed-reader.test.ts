/**
 * FeedTracker (load/lib) run inside the built-in engine, as the scenarios use it: gaps,
 * resets, frame counts and latency read from crafted messages without JSON.parse.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runTest } from '../../load/engine/runner.ts'

const READER = join(import.meta.dirname, '../../load/lib/feed-reader.ts')

describe('FeedTracker', () => {
  it('counts frames, gaps and resets and measures latency from the frame prefix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feed-reader-'))
    const script = join(dir, 'reader.ts')
    writeFileSync(
      script,
      `import { FeedTracker } from ${JSON.stringify(READER)}
export default function () {
  const tracker = new FeedTracker('websocket', 0)
  const t = 1795322254816.5994
  const msg = (type: string, seq: number) =>
    '{"type":"' + type + '","epoch":"e1","seq":' + seq + ',"t":' + (t + seq) + ',"sprites":[{"id":0,"x":1}],"events":[]}'
  tracker.read(msg('snapshot', 5), t + 5 + 7)
  tracker.read(msg('frame', 6), t + 6 + 7)
  tracker.read(msg('frame', 9), t + 9 + 7)
  tracker.read('{"type":"reset","epoch":"e2","seq":20,"reason":"expired"}', t)
  tracker.read(msg('snapshot', 20), t + 20 + 7)
  tracker.read('{"type":"pong","id":1,"t":1}', t)
  const next = tracker.readPollReply('{"epoch":"e2","next":22,"messages":[' + msg('frame', 21) + ',' + msg('frame', 22) + ']}', t + 22 + 7)
  if (next !== 22 || tracker.epoch !== 'e2' || tracker.cursorQuery() !== '?epoch=e2&since=22') throw new Error('cursor ' + next + ' ' + tracker.cursorQuery())
}
`,
    )
    let errors = ''
    const result = await runTest({
      scriptPath: script,
      env: {},
      flags: {},
      quiet: true,
      noSummary: true,
      workers: 1,
      stdout: () => undefined,
      stderr: (text) => (errors += text),
    })
    expect(errors).toBe('')
    expect(result.exitCode).toBe(0)
    expect(result.store.values('feed_frames', 1000)['count']).toBe(6)
    expect(result.store.values('feed_gaps', 1000)['count']).toBe(2)
    expect(result.store.values('feed_resets', 1000)['count']).toBe(1)
    const latency = result.store.values('feed_latency', 1000, {}, ['min', 'max', 'count'])
    expect(latency['count']).toBe(6)
    expect(latency['min']).toBeCloseTo(7, 2)
    // Both poll-reply frames arrive together: frame 21 waited one tick longer.
    expect(latency['max']).toBeCloseTo(8, 2)
  })
})

/**
 * FeedTracker (load/lib) run inside the built-in engine, as the scenarios use it: gaps,
 * resets, frame counts and latency read from crafted messages without JSON.parse.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runTest } from '../../load/engine/runner.ts'
import { encodeBinaryMessage } from '../../servers/feed/binary-codec.ts'

const READER = join(import.meta.dirname, '../../load/lib/feed-reader.ts')
const DROP = join(import.meta.dirname, '../../load/lib/feed-drop.ts')

/** Runs a script in the built-in engine; fails on anything it writes to stderr. */
async function run(script: string): Promise<Awaited<ReturnType<typeof runTest>>> {
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
  return result
}

describe('FeedTracker', () => {
  it('counts frames, gaps and resets and measures latency from the frame prefix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feed-reader-'))
    const script = join(dir, 'reader.ts')
    writeFileSync(
      script,
      `import { createFeedTracker, cursorQuery, readFeedBinary, readFeedPollReply, readFeedSseData, readFeedText } from ${JSON.stringify(READER)}
export default function () {
  const tracker = createFeedTracker('websocket', 0)
  const t = 1795322254816.5994
  const msg = (type: string, seq: number) =>
    '{"type":"' + type + '","epoch":"e1","seq":' + seq + ',"t":' + (t + seq) + ',"sprites":[{"id":0,"x":1}],"events":[]}'
  readFeedText(tracker, msg('snapshot', 5), t + 5 + 7)
  readFeedText(tracker, msg('frame', 6), t + 6 + 7)
  readFeedText(tracker, msg('frame', 9), t + 9 + 7)
  readFeedText(tracker, '{"type":"reset","epoch":"e2","seq":20,"reason":"expired"}', t)
  readFeedText(tracker, msg('snapshot', 20), t + 20 + 7)
  readFeedText(tracker, '{"type":"pong","id":1,"t":1}', t)
  const next = readFeedPollReply(tracker, '{"epoch":"e2","next":22,"messages":[' + msg('frame', 21) + ',' + msg('frame', 22) + ']}', t + 22 + 7)
  if (next !== 22 || tracker.epoch !== 'e2' || cursorQuery(tracker) !== '?epoch=e2&since=22') throw new Error('cursor ' + next + ' ' + cursorQuery(tracker))
}
`,
    )
    const result = await run(script)
    expect(result.store.values('feed_frames', 1000)['count']).toBe(6)
    expect(result.store.values('feed_gaps', 1000)['count']).toBe(2)
    expect(result.store.values('feed_resets', 1000)['count']).toBe(1)
    const latency = result.store.values('feed_latency', 1000, {}, ['min', 'max', 'count'])
    expect(latency['count']).toBe(6)
    expect(latency['min']).toBeCloseTo(7, 2)
    // Both poll-reply frames arrive together: frame 21 waited one tick longer.
    expect(latency['max']).toBeCloseTo(8, 2)
  })

  it('reads binary WebSocket messages and base64 SSE data as it reads JSON', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feed-reader-'))
    const script = join(dir, 'reader-binary.ts')
    const t = 1795322254816.5994
    const sprites = [{ id: 0, x: 1.5, y: 2, vx: -3.25, vy: 4 }]
    const binary = (type: 'frame' | 'snapshot', epoch: string, seq: number) =>
      encodeBinaryMessage({ type, epoch, seq, t: t + seq, sprites, events: [] })
    // Seq past 2^32 checks the high word; one message with pad checks the header-only decode.
    const big = 2 ** 32 + 5
    const ws = [
      binary('snapshot', 'epoch-1', big),
      binary('frame', 'epoch-1', big + 1),
      binary('frame', 'epoch-1', big + 4),
    ].map((bytes) => [...bytes])
    const sse = [
      binary('snapshot', 'e2', 10),
      binary('frame', 'e2', 11),
      encodeBinaryMessage({
        type: 'frame',
        epoch: 'e2',
        seq: 13,
        t: t + 13,
        sprites,
        events: [],
        pad: 'x'.repeat(500),
      }),
    ].map((bytes) => Buffer.from(bytes).toString('base64'))
    writeFileSync(
      script,
      `import { createFeedTracker, cursorQuery, readFeedBinary, readFeedPollReply, readFeedSseData, readFeedText } from ${JSON.stringify(READER)}
const WS = ${JSON.stringify(ws)}
const SSE = ${JSON.stringify(sse)}
const check = (what: string, got: unknown, want: unknown) => { if (got !== want) throw new Error(what + ': ' + String(got) + ' != ' + String(want)) }
export default function () {
  const t = ${String(t)}
  const ws = createFeedTracker('websocket', 0)
  const types = WS.map((bytes: number[]) => {
    const buffer = new Uint8Array(bytes).buffer
    return readFeedBinary(ws, buffer, t + new DataView(buffer).getUint32(4, true) + 4294967296 + 7)
  })
  check('ws types', types.join(), 'snapshot,frame,frame')
  check('ws cursor', cursorQuery(ws), '?epoch=epoch-1&since=' + String(2 ** 32 + 9))
  const sse = createFeedTracker('sse', 0)
  check('sse reset', readFeedSseData(sse, '{"type":"reset","epoch":"e2","seq":10,"reason":"expired"}', t), 'reset')
  const seqs = [10, 11, 13]
  SSE.forEach((data: string, i: number) => readFeedSseData(sse, data, t + seqs[i] + 7))
  check('sse cursor', cursorQuery(sse), '?epoch=e2&since=13')
  check('not base64', readFeedSseData(sse, '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!', t), '')
}
`,
    )
    const result = await run(script)
    expect(result.store.values('feed_frames', 1000)['count']).toBe(6)
    // 2 missed on the WebSocket (big+2, big+3), 1 on SSE (12).
    expect(result.store.values('feed_gaps', 1000)['count']).toBe(3)
    expect(result.store.values('feed_resets', 1000)['count']).toBe(1)
    const latency = result.store.values('feed_latency', 1000, {}, ['min', 'max', 'count'])
    expect(latency['count']).toBe(6)
    expect(latency['min']).toBeCloseTo(7, 2)
    expect(latency['max']).toBeCloseTo(7, 2)
  })

  it('keeps the replays of a resumed connection out of latency and times the recovery from the drop', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feed-reader-'))
    const script = join(dir, 'reader-drop.ts')
    writeFileSync(
      script,
      `import { createFeedTracker, readFeedText } from ${JSON.stringify(READER)}
import { markDropped, markResumed } from ${JSON.stringify(DROP)}
export default function () {
  const tracker = createFeedTracker('websocket', 0)
  const t = 1795322254816.5994
  const frame = (seq: number) => '{"type":"frame","epoch":"e1","seq":' + seq + ',"t":' + (t + 10 * seq) + ',"sprites":[],"events":[]}'
  for (let seq = 1; seq <= 3; seq++) readFeedText(tracker, frame(seq), t + 10 * seq + 7)
  // Dropped 50 ms after frame 3 arrived; the new connection went out 70 ms later.
  markDropped(tracker, t + 30 + 7 + 50)
  markResumed(tracker, t + 30 + 7 + 120)
  // Frames 4..15 were made before it: replayed together, 20 ms after it went out.
  for (let seq = 4; seq <= 15; seq++) readFeedText(tracker, frame(seq), t + 30 + 7 + 140)
  // Frame 16 is live again.
  readFeedText(tracker, frame(16), t + 160 + 7)
  // A second drop, resumed before the next frame was made: recovery is that frame's delivery.
  markDropped(tracker, t + 160 + 8)
  markResumed(tracker, t + 160 + 9)
  readFeedText(tracker, frame(17), t + 170 + 5)
}
`,
    )
    const result = await run(script)
    expect(result.store.values('feed_frames', 1000)['count']).toBe(17)
    expect(result.store.values('feed_gaps', 1000)['count']).toBe(0)
    const latency = result.store.values('feed_latency', 1000, {}, ['max', 'count'])
    // Frames 1–3, 16 and 17: the twelve replays are recovery, not delivery latency.
    expect(latency['count']).toBe(5)
    expect(latency['max']).toBeCloseTo(7, 2)
    const recovery = result.store.values('feed_recovery', 1000, {}, ['min', 'max', 'count'])
    expect(recovery['count']).toBe(2)
    // The drop to the replay's arrival; frame 17's making to its arrival.
    expect(recovery['max']).toBeCloseTo(90, 2)
    expect(recovery['min']).toBeCloseTo(5, 2)
  })

  it('drops one VU in twenty once, in the middle of the steady window', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'feed-reader-'))
    const script = join(dir, 'drop-plan.ts')
    writeFileSync(
      script,
      `import { Trend } from 'k6/metrics'
import { dropTime } from ${JSON.stringify(DROP)}
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 70, iterations: 1 } } }
const dropAt = new Trend('drop_at')
export default function () {
  const at = dropTime({ steadyFrom: 1000, until: 2000 })
  if (at !== Infinity) dropAt.add(at)
}
`,
    )
    const result = await run(script)
    const drops = result.store.values('drop_at', 1000, {}, ['min', 'max', 'count'])
    // VUs 6, 26, 46 and 66; none of them pings (feed-ping.ts: VU 1, 51, …).
    expect(drops['count']).toBe(4)
    expect(drops['min']).toBeGreaterThanOrEqual(1300)
    expect(drops['max']).toBeLessThanOrEqual(1700)
  })
})

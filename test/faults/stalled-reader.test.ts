/**
 * Stalled readers with shrunken socket buffers: clients whose receive buffer is 4 KiB
 * (SO_RCVBUF, set before connecting) and that never read. The server must close them at
 * its unsent-bytes bound (WebSocket 4008, SSE cut) while another client's latency stays
 * what it was before the stall (guarantee 5), and a stalled client that resumes with its
 * cursor gets every frame it missed (guarantee 2).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { ServerMessage } from '../../servers/feed/messages.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { lastCursor, openClient } from '../conformance/feed-clients.ts'
import { expectContiguous, feedSeqs, until } from './stream-checks.ts'
import { percentile } from '../../load/kit/percentile.ts'

// A client that cannot shrink its buffer from Node: Python's socket sets SO_RCVBUF before
// connect, sends the request, then sleeps without reading.
const STALLED_READER = `
import socket, sys, time
host, port, path, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect((host, port))
extra = 'Upgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n' if kind == 'ws' else 'Accept: text/event-stream\\r\\n'
s.sendall(('GET %s HTTP/1.1\\r\\nHost: %s:%d\\r\\n%s\\r\\n' % (path, host, port, extra)).encode())
print('sent', flush=True)
time.sleep(60)
`

function pythonMissing(): string | null {
  try {
    execFileSync('python3', ['-c', 'import socket'], { stdio: 'pipe' })
    return null
  } catch {
    return 'python3 is not available to open a socket with a shrunken SO_RCVBUF'
  }
}
const missing = pythonMissing()

const RATE = 50
let server: RunningServer
const readers: ChildProcess[] = []

beforeAll(async () => {
  // 30 KB frames at 50 Hz (1.5 MB/s) fill 4 KiB buffers and the 1 MiB bound in about a second.
  server = await startServer({ port: 0, rate: RATE, pad: 30_000, history: 500, serveSite: false })
})

afterAll(async () => {
  for (const reader of readers) reader.kill('SIGKILL')
  await server.close()
})

async function slowCloses(): Promise<Record<string, number>> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const counts: Record<string, number> = {}
  for (const match of text.matchAll(
    /^realtime_slow_consumer_closes_total\{protocol="([^"]+)"\} (\d+)/gm,
  )) {
    counts[match[1] ?? ''] = Number(match[2])
  }
  return counts
}

/** The p-th percentile (0…100) of unsorted values, by the kit's rule. */
function percentileOf(values: readonly number[], p: number): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    p / 100,
  )
}

describe.skipIf(missing !== null)(
  `stalled readers${missing === null ? '' : ` — skipped: ${missing}`}`,
  () => {
    it('closes them at the bound while a watcher keeps its latency, and a stalled client resumes without loss', async () => {
      // The watcher records when each frame arrives against the frame's send time.
      const latencies: { at: number; ms: number }[] = []
      const watcher = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`)
      watcher.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as ServerMessage
        if (message.type === 'frame') {
          const now = performance.timeOrigin + performance.now()
          latencies.push({ at: now, ms: now - message.t })
        }
      })
      await new Promise((resolve) => watcher.once('open', resolve))
      await until(() => latencies.length >= 2 * RATE, 10_000, 'two seconds of baseline')
      const stallStart = performance.timeOrigin + performance.now()

      const before = await slowCloses()
      for (const [path, kind] of [
        ['/ws', 'ws'],
        ['/ws', 'ws'],
        ['/sse', 'sse'],
      ] as const) {
        const reader = spawn(
          'python3',
          ['-c', STALLED_READER, '127.0.0.1', String(server.port), path, kind],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        )
        readers.push(reader)
      }
      // A Node client that stops reading too, so its cursor can be used to resume.
      const stalled = await openClient('websocket', server.url)
      const stalledWs = (stalled as unknown as { ws: WebSocket }).ws
      const closeCode = new Promise<number>((resolve) => stalledWs.once('close', resolve))
      await stalled.waitFor((m) => m.type === 'frame')
      ;(stalledWs as unknown as { _socket: Socket })._socket.pause()

      let after = before
      const deadline = Date.now() + 20_000
      while (Date.now() < deadline) {
        after = await slowCloses()
        const grew = (p: string) => (after[p] ?? 0) - (before[p] ?? 0)
        if (grew('websocket') >= 3 && grew('sse') >= 1) break
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      const stallEnd = performance.timeOrigin + performance.now()
      expect((after['websocket'] ?? 0) - (before['websocket'] ?? 0), 'WebSocket slow closes').toBe(
        3,
      )
      expect((after['sse'] ?? 0) - (before['sse'] ?? 0), 'SSE slow closes').toBe(1)

      // Guarantee 5 as a ratio: the watcher's p90 latency during the stall against before
      // it. 2 ms is added to both so a sub-millisecond baseline cannot make noise a failure.
      const baseline = latencies.filter((l) => l.at < stallStart).map((l) => l.ms)
      const during = latencies
        .filter((l) => l.at >= stallStart && l.at <= stallEnd)
        .map((l) => l.ms)
      expect(during.length, 'watcher frames during the stall').toBeGreaterThan(RATE / 2)
      const ratio = (percentileOf(during, 90) + 2) / (percentileOf(baseline, 90) + 2)
      expect(
        ratio,
        `p90 ${percentileOf(baseline, 90).toFixed(1)} → ${percentileOf(during, 90).toFixed(1)} ms`,
      ).toBeLessThan(4)
      watcher.terminate()

      // The paused client: once it reads again it finds the 4008 close, then resumes.
      ;(stalledWs as unknown as { _socket: Socket })._socket.resume()
      expect(await closeCode).toBe(4008)
      const cursor = lastCursor(stalled)
      const resumed = await openClient('websocket', server.url, cursor)
      const target = server.feed.seq + 5
      await resumed.waitFor((m) => m.type === 'frame' && m.seq >= target, 10_000)
      resumed.kill()
      expect(resumed.messages.filter((m) => m.type === 'reset' || m.type === 'snapshot')).toEqual(
        [],
      )
      expectContiguous(
        [...feedSeqs(stalled.messages), ...feedSeqs(resumed.messages)],
        'stalled then resumed',
      )
    }, 60_000)
  },
)

/**
 * HTTP abuse against a running server: slowloris (headers that never end) and slow bodies
 * (R-U-Dead-Yet) from Debian's `slowhttptest`, and requests with thousands of headers.
 * Guarantee 4: the server answers /healthz promptly during and after each attack, and a
 * watcher's stream keeps flowing without a gap. Upgrade-request abuse (missing key,
 * thousands of headers on /ws) is in test/protocol/rfc6455.test.ts.
 */
import { execFileSync, spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryLog } from '../../servers/http/log.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { openClient, type FeedClient } from '../conformance/feed-clients.ts'
import { expectContiguous, feedSeqs } from '../faults/stream-checks.ts'
import { rawRequest } from '../protocol/raw-websocket.ts'

function slowhttptestMissing(): string | null {
  try {
    execFileSync('slowhttptest', ['-h'], { stdio: 'pipe' })
    return null
  } catch (error) {
    // `-h` exits non-zero; only a missing binary counts.
    if ((error as { code?: string }).code !== 'ENOENT') return null
    return 'slowhttptest is not installed (apt-get install slowhttptest)'
  }
}
const missing = slowhttptestMissing()

let server: RunningServer
const serverLog = memoryLog()
let watcher: FeedClient

beforeAll(async () => {
  server = await startServer({
    port: 0,
    rate: 20,
    history: 400,
    serveSite: false,
    log: serverLog.log,
  })
  watcher = await openClient('websocket', server.url)
})

afterAll(async () => {
  watcher.kill()
  await server.close()
})

/** Round-trip times of /healthz, one probe every 250 ms while `running()` holds. */
async function probeHealth(running: () => boolean): Promise<number[]> {
  const times: number[] = []
  // Bounded: at most 80 probes (20 s).
  for (let i = 0; i < 80 && running(); i++) {
    const start = performance.now()
    const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(5000) })
    expect(res.status).toBe(200)
    await res.text()
    times.push(performance.now() - start)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return times
}

/** Runs slowhttptest for `seconds` with a small connection count; resolves its stdout. */
function runSlowhttptest(mode: '-H' | '-B', path: string, seconds: number) {
  const child = spawn(
    'slowhttptest',
    [
      mode,
      '-c',
      '200',
      '-r',
      '100',
      '-i',
      '1',
      '-l',
      String(seconds),
      '-p',
      '3',
      '-u',
      `${server.url}${path}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  let done = false
  const finished = new Promise<string>((resolve) => {
    child.once('exit', () => {
      done = true
      resolve(output)
    })
  })
  return { finished, running: () => !done, kill: () => child.kill('SIGKILL') }
}

describe.skipIf(missing !== null)(
  `slowhttptest${missing === null ? '' : ` — skipped: ${missing}`}`,
  () => {
    it.each([
      ['slowloris (-H) on /api/events', '-H', '/api/events'],
      ['slow body (-B) on POST /api/control', '-B', '/api/control'],
    ] as const)(
      'keeps /healthz answering and the watcher streaming during %s',
      async (_name, mode, path) => {
        const from = watcher.messages.length
        const attack = runSlowhttptest(mode, path, 8)
        try {
          // Let the attack open its connections before measuring.
          await new Promise((resolve) => setTimeout(resolve, 1500))
          const during = await probeHealth(attack.running)
          // slowhttptest colours its report; strip the escapes before reading it.
          // eslint-disable-next-line no-control-regex
          const output = (await attack.finished).replace(/\x1b\[[0-9;]*m/g, '')
          const connected = [...output.matchAll(/connected:\s*(\d+)/g)].map((m) => Number(m[1]))
          expect(Math.max(0, ...connected), output).toBeGreaterThanOrEqual(100)
          expect(during.length).toBeGreaterThan(5)
          // "Promptly" on a shared CI box: every probe under 2 s, far below the attack's
          // 8 s, which is what a starved server would show.
          expect(
            Math.max(...during),
            `healthz times ${during.map(Math.round).join(',')}`,
          ).toBeLessThan(2000)
        } finally {
          attack.kill()
        }
        const after = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2000) })
        expect(after.status).toBe(200)
        await watcher.waitFor((m) => m.type === 'frame', 3000, watcher.messages.length)
        const seqs = feedSeqs(watcher.messages.slice(from))
        // 20 Hz for ~10 s: the watcher got well over half the frames, and no gap.
        expect(seqs.length).toBeGreaterThan(100)
        expectContiguous(feedSeqs(watcher.messages), 'watcher')
      },
      40_000,
    )

    // body-parser's `request.aborted` (the peer went away mid-body) is the peer's fault: it
    // must not be logged as an internal error, or an attacker controls a log flood.
    it('does not report aborted slow bodies as internal errors', async () => {
      serverLog.events.length = 0
      const attack = runSlowhttptest('-B', '/api/ping', 3)
      await attack.finished
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(serverLog.events.filter((event) => event['code'] === 'internal')).toEqual([])
    }, 20_000)
  },
)

describe('thousands of headers on plain HTTP endpoints', () => {
  const manyHeaders = Array.from(
    { length: 3000 },
    (_, i) => `X-Filler-${String(i)}: ${String(i)}\r\n`,
  ).join('')
  it.each([
    ['GET /healthz', 'GET /healthz HTTP/1.1'],
    ['GET /sse', 'GET /sse HTTP/1.1'],
    ['GET /poll/long', 'GET /poll/long HTTP/1.1'],
    ['POST /api/control', 'POST /api/control HTTP/1.1'],
  ])('%s with 3000 headers gets 431 and the server keeps serving', async (_name, line) => {
    const status = await rawRequest(
      server.url,
      `${line}\r\nHost: 127.0.0.1\r\n${manyHeaders}Content-Length: 2\r\n\r\n{}`,
    )
    expect(status).toBe(431)
    const res = await fetch(`${server.url}/healthz`)
    expect(res.status).toBe(200)
  })

  it('one 64 KiB header line gets 431', async () => {
    const status = await rawRequest(
      server.url,
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: ${'a'.repeat(65536)}\r\n\r\n`,
    )
    expect(status).toBe(431)
  })
})

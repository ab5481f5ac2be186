/**
 * Execution segments end to end: two engine processes with `--execution-segment 0:1/2` and
 * `1/2:1` against one real server together open exactly the test's VUs, with distinct
 * test-wide VU ids; a bad segment is refused with a clear message.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../servers/main.ts'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'load-segments-'))
const CLI = join(import.meta.dirname, '../../load/engine/cli.ts')
const VUS = 7

// Each VU holds one WebSocket until every VU of both processes is surely open, and records its
// test-wide id once the first feed message arrived.
const SCRIPT = join(dir, 'hold.ts')
writeFileSync(
  SCRIPT,
  `import exec from 'k6/execution'
import { Counter } from 'k6/metrics'
import { setTimeout } from 'k6/timers'
import { WebSocket } from 'k6/websockets'
const opened = new Counter('segment_vu_opened')
export const options = {
  scenarios: { hold: { executor: 'per-vu-iterations', vus: Number(__ENV.VUS), iterations: 1, maxDuration: '30s' } },
}
export default async function () {
  await new Promise<void>((resolve) => {
    let first = true
    const socket = new WebSocket(__ENV.WS_URL)
    socket.onmessage = () => {
      if (!first) return
      first = false
      opened.add(1, { id: String(exec.vu.idInTest), vu: String(__VU) })
      setTimeout(() => socket.close(), Number(__ENV.HOLD_MS))
    }
    socket.onclose = () => resolve()
  })
}
`,
)

interface Point {
  type: string
  metric: string
  data: { tags?: Record<string, string> }
}

let server: RunningServer

beforeAll(async () => {
  server = await startServer({ port: 0, serveSite: false })
})

afterAll(async () => {
  await server.close()
})

async function openClients(): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text()
  const match = /^realtime_clients\{[^}]*protocol="websocket"[^}]*\}\s+(\d+)/m.exec(text)
  return Number(match?.[1] ?? 0)
}

describe('engine processes on consecutive execution segments', () => {
  it(
    'together open exactly VUS connections with distinct idInTest',
    { timeout: 60_000 },
    async () => {
      let peak = 0
      const sampler = setInterval(() => {
        void openClients().then((n) => (peak = Math.max(peak, n)))
      }, 100)
      const outs = ['0:1/2', '1/2:1'].map((_, i) => join(dir, `points-${String(i)}.ndjson`))
      const results = await Promise.all(
        ['0:1/2', '1/2:1'].map((segment, i) =>
          run(
            process.execPath,
            [
              CLI,
              'run',
              SCRIPT,
              '--engine',
              'builtin',
              '--quiet',
              '--no-summary',
              '--execution-segment',
              segment,
              '--execution-segment-sequence',
              '0,1/2,1',
              '--out',
              `json=${outs[i] ?? ''}`,
              '-e',
              `VUS=${String(VUS)}`,
              '-e',
              `WS_URL=${server.url.replace('http', 'ws')}/ws`,
              '-e',
              'HOLD_MS=2500',
            ],
            { timeout: 50_000 },
          ),
        ),
      )
      clearInterval(sampler)
      for (const result of results) expect(result.stderr).not.toMatch(/ERRO/)
      const ids = outs.map((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Point)
          .filter((p) => p.type === 'Point' && p.metric === 'segment_vu_opened')
          .map((p) => Number(p.data.tags?.['id'])),
      )
      // k6's striping: the first half owns VUs 1,3,5,7 of the test, the second 2,4,6.
      expect(ids.map((list) => [...list].sort((a, b) => a - b))).toEqual([
        [1, 3, 5, 7],
        [2, 4, 6],
      ])
      expect(peak).toBe(VUS)
    },
  )

  it('refuses a bad segment with a message naming it', async () => {
    const failed = await run(process.execPath, [
      CLI,
      'run',
      SCRIPT,
      '--execution-segment',
      '1/2:2',
    ]).then(
      () => ({ code: 0, stderr: '' }),
      (error: unknown) => error as { code: number; stderr: string },
    )
    expect(failed.code).not.toBe(0)
    expect(failed.stderr).toMatch(
      /--execution-segment.*segment end value can't be more than 1 but was 2/,
    )
    const outside = await run(process.execPath, [
      CLI,
      'run',
      SCRIPT,
      '--engine',
      'builtin',
      '--execution-segment',
      '0:1/4',
      '--execution-segment-sequence',
      '0,1/3,1',
    ]).then(
      () => ({ code: 0, stderr: '' }),
      (error: unknown) => error as { code: number; stderr: string },
    )
    expect(outside.code).not.toBe(0)
    expect(outside.stderr).toMatch(/0:1\/4 is not one of the sequence 0,1\/3,1/)
  })
})

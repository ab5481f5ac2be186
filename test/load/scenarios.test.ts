/**
 * The four k6 scenarios run by the built-in engine (as a child process, the way users run
 * it) against a real server on port 0: 50 VUs for a few seconds each.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROTOCOL_TABLE, PROTOCOLS, type Protocol } from '../../servers/transports/protocols.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'load-scenarios-'))
const CLI = join(import.meta.dirname, '../../load/engine/cli.ts')
const ROOT = join(import.meta.dirname, '../..')
// The test machine is shared and small: the budget here checks "sane", the bench checks fast.
const BUDGET_MS = '2000'

interface ExportedMetric {
  count?: number
  'p(95)'?: number
  thresholds?: Record<string, boolean>
}

async function load(
  protocol: Protocol,
  env: Record<string, string>,
): Promise<{ code: number; stderr: string; metrics: Record<string, ExportedMetric> }> {
  const summary = join(dir, `${protocol}-${String(Date.now())}.json`)
  const args = [
    CLI,
    'run',
    join(ROOT, PROTOCOL_TABLE[protocol].scenario),
    '--engine',
    'builtin',
    '--quiet',
    '--summary-export',
    summary,
  ]
  for (const [key, value] of Object.entries(env)) args.push('-e', `${key}=${value}`)
  let code = 0
  let stderr: string
  try {
    const result = await run(process.execPath, args, { timeout: 40_000 })
    stderr = result.stderr
  } catch (error: unknown) {
    const failed = error as { code?: number; stderr?: string }
    code = failed.code ?? -1
    stderr = failed.stderr ?? ''
  }
  const parsed = JSON.parse(readFileSync(summary, 'utf8')) as {
    metrics: Record<string, ExportedMetric>
  }
  return { code, stderr, metrics: parsed.metrics }
}

let server: RunningServer
let binaryServer: RunningServer

beforeAll(async () => {
  ;[server, binaryServer] = await Promise.all([
    startServer({ port: 0, serveSite: false }),
    startServer({ port: 0, serveSite: false, encoding: 'binary' }),
  ])
})

afterAll(async () => {
  await Promise.all([server.close(), binaryServer.close()])
})

// --encoding binary changes WebSocket and SSE only; polls answer JSON either way.
const RUNS = [
  ...PROTOCOLS.map((protocol) => ({ protocol, encoding: 'json' })),
  ...PROTOCOLS.filter((protocol) => PROTOCOL_TABLE[protocol].followsEncoding).map((protocol) => ({
    protocol,
    encoding: 'binary',
  })),
]

describe.each(RUNS)(
  'scenario $protocol on the built-in engine, --encoding $encoding',
  ({ protocol, encoding }) => {
    it('measures sane latency, loses no frame and passes its thresholds at 50 VUs', async () => {
      const { code, stderr, metrics } = await load(protocol, {
        BASE_URL: (encoding === 'binary' ? binaryServer : server).url,
        VUS: '50',
        RAMP: '1s',
        HOLD: '3s',
        POLL_INTERVAL: '500ms',
        LATENCY_P95: BUDGET_MS,
      })
      expect(stderr).not.toMatch(/ERRO/)
      expect(code).toBe(0)
      const latency = metrics['feed_latency']
      expect(latency?.['p(95)']).toBeGreaterThan(0)
      expect(latency?.['p(95)']).toBeLessThan(Number(BUDGET_MS))
      expect(latency?.thresholds).toEqual({
        [`p(95)<${protocol === 'short-poll' ? 2500 : 2000}`]: false,
      })
      expect(metrics['feed_gaps']?.count).toBe(0)
      // 50 clients × ~3 s × 10 Hz, less the ramp; poll replies batch frames but count each one.
      expect(metrics['feed_frames']?.count).toBeGreaterThan(50 * 10)
    })
  },
)

describe('a failing threshold', () => {
  it('exits 99 like k6', async () => {
    const { code, stderr, metrics } = await load('websocket', {
      BASE_URL: server.url,
      VUS: '5',
      RAMP: '500ms',
      HOLD: '1500ms',
      LATENCY_P95: '0',
    })
    expect(code).toBe(99)
    expect(stderr).toMatch(/thresholds on metrics 'feed_latency' have been crossed/)
    expect(metrics['feed_latency']?.thresholds).toEqual({ 'p(95)<0': true })
  })
})

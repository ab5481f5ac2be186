/**
 * CI's end-to-end check of `npm run bench -- --quick`: the real servers, the real engine,
 * all four protocols at two small steps. Asserts the report's shape and that every
 * protocol delivered frames without a gap.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PROTOCOLS } from '../../servers/transports/protocols.ts'
import { reportSchema } from '../../load/bench/report-schema.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const OUT = join(ROOT, 'test-output', `bench-quick-${String(process.pid)}`)

afterAll(() => {
  rmSync(OUT, { recursive: true, force: true })
})

function runBench(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['load/bench/main.ts', ...args],
      { cwd: ROOT, timeout: 170_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
        done({ code, stdout, stderr })
      },
    )
  })
}

describe('npm run bench -- --quick', () => {
  it(
    'measures all four protocols and writes a report that validates, with frames and no gaps',
    { timeout: 180_000 },
    async () => {
      const { code, stdout, stderr } = await runBench([
        '--quick',
        '--json',
        '--engine',
        'builtin',
        '--out-dir',
        OUT,
      ])
      // 1 means a protocol failed its budget at the first step: on a busy CI machine that is a
      // measurement, not a bench fault. Anything else is a crash or a usage error.
      expect([0, 1], stderr).toContain(code)
      const printed = reportSchema.parse(JSON.parse(stdout))
      const written = reportSchema.parse(JSON.parse(readFileSync(join(OUT, 'report.json'), 'utf8')))
      expect(written).toEqual(printed)
      expect(written.profile).toBe('quick')

      for (const protocol of PROTOCOLS) {
        const steps = written.steps.filter((s) => s.protocol === protocol)
        expect(steps.length, `${protocol} ran no step`).toBeGreaterThan(0)
        for (const step of steps) {
          expect(step.framesReceived, `${protocol} ${step.connections}`).toBeGreaterThan(0)
          expect(step.gaps, `${protocol} ${step.connections}`).toBe(0)
          expect(existsSync(join(OUT, step.files.summary))).toBe(true)
          expect(existsSync(join(OUT, step.files.series))).toBe(true)
          expect(step.server.rssMiB).toBeGreaterThan(0)
          // The upstream round trip: over the socket (WebSocket) or a POST (the others).
          expect(step.pingMs, `${protocol} ${step.connections} ping`).toBeTruthy()
          expect(step.pingMs?.max ?? -1).toBeGreaterThanOrEqual(0)
          // A sample of clients drops once and resumes (feed-drop.ts): no gap (above), and a
          // recovery of a round trip or so — a short poll's waits for its next poll (1 s).
          const recovery = step.recoveryMs
          expect(recovery, `${protocol} ${step.connections} recovery`).toBeTruthy()
          // Client ms against server µs: a frame's delivery can read a fraction of a ms below 0.
          expect(recovery?.min ?? -Infinity).toBeGreaterThan(-1)
          expect(recovery?.max ?? Infinity).toBeLessThan(protocol === 'short-poll' ? 1600 : 600)
        }
      }
      const run = JSON.parse(readFileSync(join(OUT, 'run.json'), 'utf8')) as {
        machine: { cores: number }
        versions: { node: string; gitSha: string | null }
      }
      expect(run.machine.cores).toBeGreaterThan(0)
      expect(run.versions.node).toMatch(/^v\d+/)
    },
  )
})

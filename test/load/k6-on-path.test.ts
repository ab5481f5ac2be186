/**
 * `--engine auto|k6` with a `k6` on PATH that cannot run every scenario: fake `k6` executables
 * (shell scripts printing chosen `k6 version` outputs) stand in for an old k6, a stock k6
 * without the SSE extension, and one that fails on `run`. The current fake's `run` hands the
 * same command line to the built-in engine, so a bench step on "k6" still measures.
 */
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { reportSchema } from '../../load/bench/report-schema.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const OUT = join(ROOT, 'test-output', `k6-on-path-${String(process.pid)}`)

afterAll(() => {
  rmSync(OUT, { recursive: true, force: true })
})

/** A folder holding one fake `k6`; `run` is the shell run for `k6 run …`. */
function fakeK6(name: string, versionOutput: string, run: string): string {
  const dir = join(OUT, 'bin', name)
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'k6')
  writeFileSync(
    file,
    `#!/bin/sh\nif [ "$1" = version ]; then printf '%s' '${versionOutput}'; exit 0; fi\n` +
      `if [ "$1" = run ]; then shift; ${run}; fi\nexit 1\n`,
  )
  chmodSync(file, 0o755)
  return dir
}

const OLD = fakeK6(
  'old',
  'k6 v0.48.0 (go1.21.5, linux/amd64)\n',
  `echo 'SyntaxError: file:///load/scenarios/x.ts: Unexpected token' >&2; exit 107`,
)
// A current stock k6 without k6/x/sse whose `run` is the built-in engine with k6's flags.
const CURRENT = fakeK6(
  'current',
  'k6 v1.6.0 (commit/4e1f0a1c2b, go1.25.5, linux/amd64)\n',
  `echo FAKE-K6-RUN >&2; exec '${process.execPath}' '${join(ROOT, 'load/engine/cli.ts')}' run "$@" --engine builtin`,
)
const BROKEN = fakeK6(
  'broken',
  'k6 v1.6.0 (commit/4e1f0a1c2b, go1.25.5, linux/amd64)\n',
  `echo 'panic: runtime error' >&2; exit 107`,
)

function run(
  binDir: string,
  args: readonly string[],
  timeout = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: ROOT,
        timeout,
        maxBuffer: 32 * 1024 * 1024,
        env: { ...process.env, PATH: `${binDir}${delimiter}${process.env['PATH'] ?? ''}` },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
        done({ code, stdout, stderr })
      },
    )
  })
}

const TINY = ['--steps', '5', '--hold', '3s', '--ramp', '1s', '--network', 'none', '--json']

describe('npm run load with a k6 on PATH', () => {
  const script = join(OUT, 'tiny.ts')
  mkdirSync(OUT, { recursive: true })
  writeFileSync(
    script,
    `export const options = { iterations: 1 }\nexport default function (): void {}\n`,
  )

  it('auto: an old k6 is passed over with one line saying why', async () => {
    const { code, stderr } = await run(OLD, ['load/engine/cli.ts', 'run', script, '--quiet'])
    expect(code, stderr).toBe(0)
    expect(stderr).toContain(
      'k6 v0.48.0 on PATH cannot run TypeScript (needs ≥ 0.57.0): using the built-in engine; --engine k6 to insist',
    )
  })

  it('auto: a current k6 runs what it can', async () => {
    const { code, stderr } = await run(CURRENT, ['load/engine/cli.ts', 'run', script, '--quiet'])
    expect(code, stderr).toBe(0)
    expect(stderr).toContain('FAKE-K6-RUN')
  })

  it('--engine k6 with an old k6 fails at once with the version and the fix', async () => {
    const { code, stderr } = await run(OLD, [
      'load/engine/cli.ts',
      'run',
      'load/scenarios/websocket.ts',
      '--engine',
      'k6',
    ])
    expect(code).toBe(104)
    expect(stderr).toContain(
      '--engine k6: k6 v0.48.0 on PATH cannot run TypeScript (needs ≥ 1.6.0)',
    )
    expect(stderr).toContain('install k6 ≥ 1.6.0, or use --engine builtin')
  })

  it('--engine k6 without the SSE extension names it and the xk6 line', async () => {
    const { code, stderr } = await run(CURRENT, [
      'load/engine/cli.ts',
      'run',
      'load/scenarios/sse.ts',
      '--engine',
      'k6',
    ])
    expect(code).toBe(104)
    expect(stderr).toContain('lacks the k6/x/sse extension')
    expect(stderr).toContain('xk6 build v1.6.0 --with github.com/phymbert/xk6-sse')
    expect(stderr).not.toContain('FAKE-K6-RUN')
  })
})

describe('npm run bench with a k6 on PATH', () => {
  it(
    'an old k6: every protocol on the built-in engine, the reason printed once',
    { timeout: 120_000 },
    async () => {
      const out = join(OUT, 'old-run')
      const { code, stdout, stderr } = await run(OLD, [
        'load/bench/main.ts',
        '--protocols',
        'websocket,long-poll',
        ...TINY,
        '--out-dir',
        out,
      ])
      expect([0, 1], stderr).toContain(code)
      // long-poll needs TypeScript only, websocket k6/websockets too: one line for each.
      expect(stderr).toContain(
        'websocket: k6 v0.48.0 on PATH cannot run TypeScript (needs ≥ 1.6.0): using the built-in engine; --engine k6 to insist',
      )
      expect(stderr).toContain(
        'long-poll: k6 v0.48.0 on PATH cannot run TypeScript (needs ≥ 0.57.0)',
      )
      expect(stderr.split('\n').filter((l) => l.includes('cannot run TypeScript'))).toHaveLength(2)
      const report = reportSchema.parse(JSON.parse(stdout))
      expect(report.parameters.engine).toBe('builtin')
      expect(report.steps.length).toBeGreaterThan(0)
      expect(report.steps.every((s) => s.engine === 'builtin')).toBe(true)
    },
  )

  it(
    'a current k6 without the SSE extension: SSE on the engine, WebSocket on k6, and the report says so',
    { timeout: 120_000 },
    async () => {
      const out = join(OUT, 'current-run')
      const { code, stdout, stderr } = await run(CURRENT, [
        'load/bench/main.ts',
        '--protocols',
        'websocket,sse',
        ...TINY,
        '--out-dir',
        out,
      ])
      expect([0, 1], stderr).toContain(code)
      expect(stderr).toContain(
        'sse: k6 v1.6.0 on PATH lacks the k6/x/sse extension: using the built-in engine; --engine k6 to insist',
      )
      const report = reportSchema.parse(JSON.parse(stdout))
      expect(report.parameters.engine).toBe('k6+builtin')
      const engineOf = (protocol: string): (string | undefined)[] =>
        report.steps.filter((s) => s.protocol === protocol).map((s) => s.engine)
      expect(engineOf('websocket')).toEqual(['k6'])
      expect(engineOf('sse')).toEqual(['builtin'])
      expect(report.ladders.map((l) => [l.protocol, l.engine])).toEqual([
        ['websocket', 'k6'],
        ['sse', 'builtin'],
      ])
      const ws = report.steps.find((s) => s.protocol === 'websocket')
      expect(ws?.framesReceived).toBeGreaterThan(0)
    },
  )

  it('--engine k6 with an old k6 fails before any server starts', async () => {
    const out = join(OUT, 'refused-run')
    const { code, stderr } = await run(OLD, [
      'load/bench/main.ts',
      '--engine',
      'k6',
      ...TINY,
      '--out-dir',
      out,
    ])
    expect(code).toBe(2)
    expect(stderr).toContain(
      '--engine k6: k6 v0.48.0 on PATH cannot run TypeScript (needs ≥ 1.6.0)',
    )
    expect(existsSync(out)).toBe(false)
  })

  it(
    'a k6 that fails on run: "load tool failed", no verdict, exit 3 with that message first',
    { timeout: 120_000 },
    async () => {
      const out = join(OUT, 'broken-run')
      const { code, stdout, stderr } = await run(BROKEN, [
        'load/bench/main.ts',
        '--protocols',
        'long-poll',
        '--steps',
        '5',
        '--hold',
        '1s',
        '--ramp',
        '1s',
        '--out-dir',
        out,
      ])
      expect(code, stderr).toBe(3)
      expect(stdout.trimStart().split('\n')[0]).toMatch(
        /^every step failed because the load tool failed: engine exited with 107: .*panic: runtime error/,
      )
      expect(stdout).toContain('long-poll reference single [k6]: load tool failed at 5:')
      expect(stdout).not.toContain('0 connections within budget')
      const report = reportSchema.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')))
      expect(report.ladders[0]?.loadToolFailure).toMatch(/engine exited with 107/)
      expect(report.ladders[0]?.stopReason).toMatch(/^load tool failed: /)
    },
  )
})

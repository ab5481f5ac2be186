import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, spawnCommand, stopChild } from './child-process.ts'
import { spawnEngineRun } from './engine-process.ts'

const root = mkdtempSync(join(tmpdir(), 'engine-process-'))
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

describe('spawnEngineRun', () => {
  it("runs the checkout's engine CLI on its scenario with the flags, the -e pairs and the series file", async () => {
    // A stand-in engine that records its command line.
    mkdirSync(join(root, 'load/engine'), { recursive: true })
    writeFileSync(
      join(root, 'load/engine/cli.ts'),
      `import { writeFileSync } from 'node:fs'\nwriteFileSync(${JSON.stringify(join(root, 'argv.json'))}, JSON.stringify(process.argv.slice(2)))\n`,
    )
    const child = spawnEngineRun({
      root,
      scenario: 'sse',
      env: { BASE_URL: 'http://127.0.0.1:1', VUS: '3' },
      series: '/tmp/series.ndjson',
      flags: ['--workers', '1'],
    })
    expect(child.pid).toBeGreaterThan(0)
    expect(await child.exited).toBe(0)
    expect(JSON.parse(readFileSync(join(root, 'argv.json'), 'utf8'))).toEqual([
      'run',
      join(root, 'load/scenarios/sse.ts'),
      '--engine',
      'builtin',
      '--quiet',
      '--no-summary',
      '--workers',
      '1',
      '-e',
      'BASE_URL=http://127.0.0.1:1',
      '-e',
      'VUS=3',
      '--out',
      'series=/tmp/series.ndjson',
    ])
  })
})

describe('child processes', () => {
  it('stops a child with SIGTERM and reports how it ended; a free port is free', async () => {
    const child = spawnCommand(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], root)
    expect(child.pid).toBeGreaterThan(0)
    await stopChild(child)
    expect(await child.exited).toBe('SIGTERM')
    const port = await freePort()
    expect(port).toBeGreaterThan(0)
  })
})

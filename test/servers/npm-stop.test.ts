/**
 * A process manager (systemd, Docker, a CI runner) stops `npm start` by sending SIGTERM to
 * the npm process alone, not to its process group. npm exits at once without passing the
 * signal on, and its `sh -c` goes with it; the server used to keep running, orphaned, with
 * its port held. Now every process npm started notices its parent is gone, shuts down
 * gracefully and frees its port.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { descendants } from '../../load/kit/process-sampler.ts'
import { freePort } from '../../load/kit/child-process.ts'
import { until } from '../faults/stream-checks.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
// The graceful close takes up to 1 s for clients to answer, then 1 s of grace for the rest;
// the parent check runs every 250 ms.
const DRAIN_MS = 5000

/** Every process below `pid`, not `pid` itself. */
function descendantsOf(pid: number): number[] {
  return [...descendants(pid)].filter((child) => child !== pid)
}

const commandLine = (pid: number): string => {
  try {
    return readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8')
  } catch {
    return ''
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => {
      resolve(false)
    })
  })
}

const started: { npm: ChildProcess; tree: number[] }[] = []
afterEach(() => {
  for (const { npm, tree } of started.splice(0)) {
    for (const pid of [...tree, npm.pid ?? 0]) {
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL')
    }
  }
})

/** `npm <args>` in its own process group, so a signal to npm reaches npm alone. */
function npm(args: readonly string[]): { npm: ChildProcess; output: () => string } {
  const child = spawn('npm', args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return { npm: child, output: () => output }
}

describe('SIGTERM to the npm process alone', () => {
  it('npm start: the server closes gracefully and frees its port, no process left', async () => {
    const port = await freePort()
    const run = npm(['start', '--', '--port', String(port), '--rate', '20'])
    await until(() => run.output().includes('epoch '), 20_000, `npm start banner: ${run.output()}`)
    const tree = descendantsOf(run.npm.pid ?? 0)
    started.push({ npm: run.npm, tree })
    expect(tree.length).toBeGreaterThan(0)
    expect(await portOpen(port)).toBe(true)
    process.kill(run.npm.pid ?? 0, 'SIGTERM')
    const sent = Date.now()
    await until(() => tree.every((pid) => !alive(pid)), DRAIN_MS, 'every process npm started ended')
    expect(Date.now() - sent).toBeLessThan(DRAIN_MS)
    expect(await portOpen(port)).toBe(false)
    expect(run.output()).toMatch(/SIGTERM \(the parent process exited\): closing clients/)
  }, 30_000)

  it('npm run load: the engine stops instead of running its test orphaned', async () => {
    const port = await freePort()
    const server = npm(['start', '--', '--port', String(port), '--rate', '20'])
    await until(() => server.output().includes('epoch '), 20_000, 'server banner')
    started.push({ npm: server.npm, tree: descendantsOf(server.npm.pid ?? 0) })
    const run = npm([
      'run',
      'load',
      '--',
      'load/scenarios/websocket.ts',
      '-e',
      `BASE_URL=http://127.0.0.1:${String(port)}`,
      '-e',
      'VUS=5',
      '-e',
      'RAMP=1s',
      '-e',
      'HOLD=60s',
      '--quiet',
    ])
    await until(
      () =>
        descendantsOf(run.npm.pid ?? 0).some((pid) =>
          readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').includes('cli.ts'),
        ),
      20_000,
      'the engine process',
    )
    // Let it connect its VUs.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const tree = descendantsOf(run.npm.pid ?? 0)
    started.push({ npm: run.npm, tree })
    process.kill(run.npm.pid ?? 0, 'SIGTERM')
    await until(() => tree.every((pid) => !alive(pid)), DRAIN_MS, 'every process npm started ended')
  }, 60_000)

  it('npm run bench: the servers and engines it started end, the bench exits', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'npm-stop-bench-'))
    try {
      const run = npm([
        'run',
        'bench',
        '--',
        '--quick',
        '--protocols',
        'websocket',
        '--out-dir',
        join(outDir, 'run'),
      ])
      // Wait for the first server under test: the bench is then mid-run.
      await until(
        () => descendantsOf(run.npm.pid ?? 0).some((pid) => commandLine(pid).includes('serve')),
        30_000,
        `a server started by the bench: ${run.output()}`,
      )
      await new Promise((resolve) => setTimeout(resolve, 1000))
      const tree = descendantsOf(run.npm.pid ?? 0)
      started.push({ npm: run.npm, tree })
      process.kill(run.npm.pid ?? 0, 'SIGTERM')
      // Children get SIGTERM and the kill grace (5 s) before SIGKILL.
      await until(
        () => tree.every((pid) => !alive(pid)),
        DRAIN_MS + 5000,
        'every process npm started ended',
      )
    } finally {
      rmSync(outDir, { recursive: true, force: true })
    }
  }, 60_000)
})

/**
 * Starting and stopping the child processes of a measurement (servers, engines), by pid only:
 * an interrupted parent stops exactly the processes it started.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { watchParent } from '../../servers/http/stop-on-signals.ts'

/** Time limits of child processes, ms (the bench's `TIMEOUTS` repeats them). */
export const CHILD_TIMEOUTS = Object.freeze({
  /** Waiting for a server to be ready after spawn. */
  serverStartMs: 15_000,
  /** Between SIGTERM and SIGKILL when stopping a child. */
  killGraceMs: 5_000,
})

/** A spawned child with its captured output tail. */
export interface Child {
  process: ChildProcess
  pid: number
  /** Last few KiB of stdout + stderr, for error messages. */
  output(): string
  /** Resolves with the exit code (or the signal name) once it ends. */
  exited: Promise<number | string>
}

// Children still running, so that an interrupted bench stops exactly the processes it started.
const live = new Set<ChildProcess>()
let handlersInstalled = false

function installSignalHandlers(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  let stopping = false
  // Children get SIGTERM (a server closes its clients and frees its port), then SIGKILL
  // after the grace period; then the bench exits 130, as an interrupted command does.
  const stopAll = (): void => {
    if (stopping) return
    stopping = true
    for (const child of live) child.kill('SIGTERM')
    const exits = [...live].map((child) => new Promise((resolve) => child.once('exit', resolve)))
    const timer = setTimeout(() => {
      for (const child of live) child.kill('SIGKILL')
    }, CHILD_TIMEOUTS.killGraceMs)
    void Promise.all(exits).then(() => {
      clearTimeout(timer)
      process.exit(130)
    })
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stopAll)
  // `npm run bench` stopped by SIGTERM to npm alone: npm exits without passing it on.
  watchParent(stopAll)
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
}

/** Spawns `node <args>` with the Node running the bench. */
export function spawnNode(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Child {
  return spawnCommand(process.execPath, args, cwd, env)
}

/** Spawns a command, keeping the tail of its output. */
export function spawnCommand(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Child {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let tail = ''
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-8192)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  installSignalHandlers()
  live.add(child)
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      resolve(code ?? signal ?? 'unknown')
    })
    child.once('error', (error) => {
      tail += `\n${error.message}`
      resolve('spawn-error')
    })
  })
  if (child.pid === undefined) throw new Error(`could not start ${command} ${args.join(' ')}`)
  return { process: child, pid: child.pid, output: () => tail, exited }
}

/** Resolves with a child's exit code (-1 for a signal) once it has exited. */
export function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode ?? -1)
    else
      child.once('exit', (code) => {
        done(code ?? -1)
      })
  })
}

/** Sends `signal` (default SIGTERM), then SIGKILL after a grace period; resolves when the child is gone. */
export async function stopChild(child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return
  child.process.kill(signal)
  const timer = setTimeout(() => child.process.kill('SIGKILL'), CHILD_TIMEOUTS.killGraceMs)
  await child.exited
  clearTimeout(timer)
}

/** A TCP port free on 127.0.0.1 right now (the cluster's helper, shared). */
export { freePort } from '../../servers/cluster/child-processes.ts'

/** Polls `url` until it answers 200, the child exits, or the time limit passes. */
export async function waitHealthy(
  url: string,
  child: Child,
  timeoutMs = CHILD_TIMEOUTS.serverStartMs,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null)
      throw new Error(`server exited before it was healthy:\n${child.output()}`)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
      if (res.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 150))
  }
  throw new Error(`server not healthy at ${url} after ${timeoutMs} ms:\n${child.output()}`)
}

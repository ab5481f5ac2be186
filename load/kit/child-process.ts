/**
 * Starting and stopping the child processes of a measurement (servers, engines), by pid only:
 * an interrupted parent stops exactly the processes it started.
 */
import type { ChildProcess } from 'node:child_process'
import { basename } from 'node:path'
import { startChild, type Child } from '../../servers/cluster/child-processes.ts'
import { watchParent } from '../../servers/http/stop-on-signals.ts'

/** Time limits of child processes, ms (the bench's `TIMEOUTS` repeats them). */
export const CHILD_TIMEOUTS = Object.freeze({
  /** Waiting for a server to be ready after spawn. */
  serverStartMs: 15_000,
  /** Between SIGTERM and SIGKILL when stopping a child. */
  killGraceMs: 5_000,
})

/** A started child: the one type of `servers/cluster/child-processes.ts`. */
export type { Child } from '../../servers/cluster/child-processes.ts'

// Children still running, so that an interrupted bench stops exactly the processes it started.
const live = new Set<ChildProcess>()
let handlersInstalled = false
let signalsHandledElsewhere = false

/**
 * For a parent that stops its children on signals itself (`serve --network`, which exits 0
 * on SIGTERM as the server does): the kit then installs no SIGINT/SIGTERM handler, and only
 * kills what is still running when the process exits.
 */
export function signalsHandledByCaller(): void {
  signalsHandledElsewhere = true
}

function installSignalHandlers(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
  if (signalsHandledElsewhere) return
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
}

/** Spawns `node <args>` with the Node running the bench. */
export function spawnNode(
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  inherit = false,
): Child {
  return spawnCommand(process.execPath, args, cwd, env, inherit)
}

/**
 * Spawns a command, keeping the tail of its output (or, with `inherit`, passing it through),
 * and registers it so that an interrupted parent stops it.
 */
export function spawnCommand(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
  inherit = false,
): Child {
  const child = startChild(basename(command), command, args, { cwd, env, inherit })
  installSignalHandlers()
  live.add(child.process)
  void child.exited.then(() => live.delete(child.process))
  return child
}

/** Sends `signal` (default SIGTERM), then SIGKILL after the kit's grace period; resolves when the child is gone. */
export function stopChild(child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return child.stop({ signal, graceMs: CHILD_TIMEOUTS.killGraceMs })
}

/**
 * Resolves once the child's stdout or stderr matches `banner` (a ready line such as
 * `listening on http://…`), with the match and everything printed until then.
 *
 * @throws Error with the child's output when it exits first or stays silent for `limitMs`.
 */
export function waitForBanner(
  child: Child,
  banner: RegExp,
  what: string,
  limitMs: number,
): Promise<{ match: RegExpExecArray; seen: string }> {
  let seen = ''
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      finish()
      fail(new Error(`${what} printed no banner within ${String(limitMs)} ms:\n${child.output()}`))
    }, limitMs)
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('utf8')
      const match = banner.exec(seen)
      if (match === null) return
      finish()
      done({ match, seen })
    }
    const finish = (): void => {
      clearTimeout(timer)
      child.process.stdout?.off('data', onData)
      child.process.stderr?.off('data', onData)
    }
    child.process.stdout?.on('data', onData)
    child.process.stderr?.on('data', onData)
    void child.exited.then((code) => {
      finish()
      fail(new Error(`${what} exited (${String(code)}) before its banner:\n${child.output()}`))
    })
  })
}

/** A TCP port free on 127.0.0.1 right now (the cluster's helper, shared). */
export { freePort, freePorts } from '../../servers/cluster/child-processes.ts'

/**
 * The one way this project starts and stops child processes (the cluster's redis, ticker,
 * instances and nginx; the measurement kit's servers and engines): free loopback ports,
 * the tail of each child's output for error messages, waiting until a child answers, and
 * stopping exactly the children started here (by PID, never by name).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

/** A free loopback TCP port (the OS picks it; a tiny race with other processes remains). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => {
        resolve(port)
      })
    })
  })
}

/** Whether `port` on 127.0.0.1 can be listened on now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => {
      resolve(false)
    })
    probe.listen(port, '127.0.0.1', () => {
      probe.close(() => {
        resolve(true)
      })
    })
  })
}

/**
 * The first of `count` consecutive free ports (a server and the links on the ports after it).
 * @throws Error when twenty tries found none
 */
export async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = await freePort()
    if (base + count > 65_535) continue
    let free = true
    for (let offset = 1; offset < count && free; offset++) free = await portIsFree(base + offset)
    if (free) return base
  }
  throw new Error(`no ${String(count)} consecutive free ports found`)
}

/** A started child with its recent output, for error messages. */
export interface Child {
  readonly name: string
  readonly process: ChildProcess
  readonly pid: number
  /** The last few KiB of stdout and stderr (empty when the output is inherited). */
  output(): string
  /** Resolves with the exit code (or the signal name, or `spawn-error`) once it ends. */
  readonly exited: Promise<number | string>
  /** `signal` (default SIGTERM), then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(options?: StopOptions): Promise<void>
}

/** How to stop a child. */
export interface StopOptions {
  /** The first signal; default SIGTERM. */
  signal?: NodeJS.Signals
  /** Between that signal and SIGKILL; default 3000 ms. */
  graceMs?: number
}

/** How to start a child. */
export interface ChildOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Print the output with a `[name]` prefix as it arrives (the tail is kept either way). */
  echo?: boolean
  /** Pass stdout and stderr straight through to this process's (no tail is kept). */
  inherit?: boolean
}

const OUTPUT_KEPT = 8192
/** How long after a child's exit its output may still arrive before it counts as ended. */
const OUTPUT_DRAIN_MS = 500
const DEFAULT_GRACE_MS = 3000

/**
 * Spawn `command` with `args`.
 *
 * @throws Error when the process could not be created (no pid).
 */
export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: ChildOptions = {},
): Child {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: [
      'ignore',
      options.inherit === true ? 'inherit' : 'pipe',
      options.inherit === true ? 'inherit' : 'pipe',
    ],
  })
  let tail = ''
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_KEPT)
    if (options.echo === true) process.stdout.write(`[${name}] ${chunk.toString('utf8')}`)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<number | string>((resolve) => {
    // 'close' comes once the output pipes are drained too, so the tail holds the last words;
    // a grandchild that keeps a pipe open must not hold it up for long after 'exit'.
    child.once('close', (code, signal) => {
      resolve(code ?? signal ?? 'unknown')
    })
    child.once('exit', (code, signal) => {
      setTimeout(() => {
        resolve(code ?? signal ?? 'unknown')
      }, OUTPUT_DRAIN_MS).unref()
    })
    child.once('error', (error) => {
      tail += `\n${error.message}`
      resolve('spawn-error')
    })
  })
  if (child.pid === undefined)
    throw new Error(`could not start ${name}: ${command} ${args.join(' ')}`)
  return {
    name,
    process: child,
    pid: child.pid,
    output: () => tail,
    exited,
    async stop({ signal = 'SIGTERM', graceMs = DEFAULT_GRACE_MS } = {}) {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill(signal)
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      }, graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * Resolve once `ready()` is true, polling every `everyMs` for at most `timeoutMs`.
 * @throws Error naming `child` and its output when it exits first or the time is up.
 */
export async function waitUntil(
  child: Child,
  ready: () => Promise<boolean>,
  timeoutMs = 15_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited before it was ready:\n${child.output()}`)
    }
    if (await ready().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  throw new Error(`${child.name} not ready after ${String(timeoutMs)} ms:\n${child.output()}`)
}

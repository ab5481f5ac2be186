/**
 * Starting and stopping the cluster's child processes: free loopback ports, waiting until
 * a child answers, stopping exactly the children started here (by PID, never by name).
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

/** A started child with its recent output, for error messages. */
export interface Child {
  readonly name: string
  readonly process: ChildProcess
  /** The last few KiB of stdout and stderr. */
  output(): string
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>
}

const OUTPUT_KEPT = 8192

/** Spawn `command` with `args`; its output is kept (tail) and, with `echo`, printed with a prefix. */
export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  echo = false,
): Child {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let tail = ''
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-OUTPUT_KEPT)
    if (echo) process.stdout.write(`[${name}] ${chunk.toString()}`)
  }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    child.once('exit', () => {
      resolve()
    })
  })
  return {
    name,
    process: child,
    output: () => tail,
    async stop(graceMs = 3000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      }, graceMs)
      await exited
      clearTimeout(timer)
    },
  }
}

/**
 * Resolve once `ready()` is true, polling every 50 ms for at most `timeoutMs`.
 * @throws Error naming `child` and its output when it exits first or the time is up.
 */
export async function waitUntil(
  child: Child,
  ready: () => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited before it was ready:\n${child.output()}`)
    }
    if (await ready().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${child.name} not ready after ${timeoutMs} ms:\n${child.output()}`)
}

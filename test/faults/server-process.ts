/**
 * The server as a child process (`node servers/main.ts serve …`), for faults a process
 * in the test cannot inflict on itself: SIGTERM, SIGKILL, running inside a network
 * namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { parseStatusRssKiB } from '../../load/kit/process-sampler.ts'

const MAIN = fileURLToPath(new URL('../../servers/main.ts', import.meta.url))
const BASELINE_MAIN = fileURLToPath(new URL('../../servers/baseline/main.ts', import.meta.url))

/** A running server child. */
export interface ServerProcess {
  readonly child: ChildProcess
  readonly url: string
  readonly port: number
  /** The epoch the banner announced. */
  readonly epoch: string
  /** Resolves with the exit code (or signal name) once the child has exited. */
  readonly exited: Promise<number | string>
}

/** The resident set of process `pid` in MiB, from /proc; NaN once it has gone. */
export function rssMiB(pid: number): number {
  try {
    return parseStatusRssKiB(readFileSync(`/proc/${String(pid)}/status`, 'utf8')) / 1024
  } catch {
    return Number.NaN
  }
}

/** A TCP port free right now on 127.0.0.1, so a restarted server can reuse it. */
export async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const address = probe.address()
  await new Promise<void>((resolve) =>
    probe.close(() => {
      resolve()
    }),
  )
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/**
 * Starts `servers/main.ts serve --port <port> …args` (optionally prefixed, e.g. by
 * `ip netns exec <ns>`) and resolves once its banner names the epoch.
 */
export async function spawnServer(
  port: number,
  args: readonly string[],
  prefix: readonly string[] = [],
): Promise<ServerProcess> {
  const command = [...prefix, process.execPath, MAIN, 'serve', '--port', String(port), ...args]
  const { child, exited, banner } = await spawnWithBanner(command, /epoch (\S+)/)
  return { child, url: `http://127.0.0.1:${String(port)}`, port, epoch: banner, exited }
}

/** The seeds' naive server (`servers/baseline/main.ts`) as a child process. */
export async function spawnBaseline(
  port: number,
): Promise<Pick<ServerProcess, 'child' | 'url' | 'port' | 'exited'>> {
  const command = [process.execPath, BASELINE_MAIN, '--port', String(port)]
  const { child, exited } = await spawnWithBanner(command, /baseline listening on (\S+)/)
  return { child, url: `http://127.0.0.1:${String(port)}`, port, exited }
}

/** Runs `command` and resolves once its output matches `banner` (with the first group). */
async function spawnWithBanner(
  command: readonly string[],
  banner: RegExp,
): Promise<{ child: ChildProcess; exited: Promise<number | string>; banner: string }> {
  const [file, ...rest] = command
  if (file === undefined) throw new Error('empty command')
  const child = spawn(file, rest, { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown')
    })
  })
  let output = ''
  const matched = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`server did not start within 15 s: ${output}`))
    }, 15_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = banner.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`server exited (${String(code)}) before its banner: ${output}`))
    })
  })
  return { child, exited, banner: matched }
}

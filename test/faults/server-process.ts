/**
 * The server as a child process (`node servers/main.ts serve …`), for faults a process
 * in the test cannot inflict on itself: SIGTERM, SIGKILL, running inside a network
 * namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

const MAIN = fileURLToPath(new URL('../../servers/main.ts', import.meta.url))

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
  const [file, ...rest] = command
  if (file === undefined) throw new Error('empty command')
  const child = spawn(file, rest, { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal ?? 'unknown')
    })
  })
  let output = ''
  const epoch = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`server did not start within 15 s: ${output}`))
    }, 15_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /epoch (\S+)/.exec(output)
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
  return { child, url: `http://127.0.0.1:${String(port)}`, port, epoch, exited }
}

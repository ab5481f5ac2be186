/**
 * One reference server as a child process of a benchmark, started from a given checkout
 * (this one or a `git worktree` of the baseline commit), with its CPU read from
 * `/proc/<pid>/stat` and its counters from `/metrics`. Linux only.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { processUsage } from '../load/kit/process-sampler.ts'
import { sumSamples } from '../load/kit/prometheus-text.ts'

/** How to start a server. */
export interface ServerProcessOptions {
  /** Root of the checkout whose `servers/main.ts` runs. */
  root: string
  /** Extra `serve` flags, e.g. `['--protocols', 'sse']`. */
  args: readonly string[]
  /** Write a `.cpuprofile` into this folder (`node --cpu-prof`). */
  cpuProfDir?: string | undefined
}

/** A running server child process. */
export class ServerProcess {
  readonly url: string
  readonly epoch: string
  readonly #child: ChildProcess

  private constructor(child: ChildProcess, url: string, epoch: string) {
    this.#child = child
    this.url = url
    this.epoch = epoch
  }

  /** Start the server and wait for its banner (at most 20 s). */
  static async start(options: ServerProcessOptions): Promise<ServerProcess> {
    const nodeArgs =
      options.cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir]
    const child = spawn(
      process.execPath,
      [
        ...nodeArgs,
        join(options.root, 'servers/main.ts'),
        'serve',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        ...options.args,
      ],
      { cwd: options.root, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let output = ''
    const banner = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`server did not print its banner within 20 s: ${output.slice(0, 400)}`))
      }, 20_000)
      const onData = (chunk: Buffer): void => {
        output += chunk.toString()
        const line = output.split('\n').find((candidate) => candidate.includes(' listening on '))
        if (line !== undefined) {
          clearTimeout(timer)
          resolve(line)
        }
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`server exited with ${String(code)} before listening: ${output}`))
      })
    })
    const url = /listening on (\S+)/.exec(banner)?.[1]
    const epoch = /· epoch (\S+)/.exec(banner)?.[1]
    if (url === undefined || epoch === undefined) throw new Error(`unexpected banner: ${banner}`)
    return new ServerProcess(child, url, epoch)
  }

  /** CPU time (user + system) the server has used so far, seconds. */
  cpuSeconds(): number {
    const pid = this.#child.pid
    if (pid === undefined) throw new Error('server has no pid')
    return processUsage(pid).cpuS
  }

  /** The sum of a counter over all its label sets in `/metrics`, filtered by `protocol`. */
  async counter(name: string, protocol: string): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text()
    return sumSamples(text, name, { protocol })
  }

  /** SIGINT (graceful close; writes the CPU profile) and wait for the exit, at most 10 s. */
  async stop(): Promise<void> {
    const child = this.#child
    if (child.exitCode !== null) return
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        resolve()
      })
    })
    child.kill('SIGINT')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

/**
 * A server under measurement as its own child process: the reference server
 * (`servers/main.ts serve`) or the seeds' baseline (`servers/baseline/main.ts`), from this
 * checkout or another (a `git worktree` of an older commit), optionally inside a network
 * namespace. Ready once its banner says where it listens; its CPU and RSS from /proc, its
 * counters from `/metrics`. The bench, the perf scripts, the soak, the server
 * micro-benchmarks and the tests all start servers through it.
 */
import type { ChildProcess } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  CHILD_TIMEOUTS,
  spawnCommand,
  stopChild,
  waitForBanner,
  type Child,
} from './child-process.ts'
import { processUsage, type ProcessUsage } from './process-sampler.ts'
import { sumSamples } from './prometheus-text.ts'

/** This repository's root, two folders above this file. */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** How to start a server. */
export interface ServerProcessOptions {
  /** `reference` (default) or `baseline`. */
  design?: 'reference' | 'baseline'
  /** Root of the checkout whose server runs; default this repository. */
  root?: string
  /** Port; default 0, the server picks one and its banner names it. */
  port?: number
  /** Listen address; default `127.0.0.1`. */
  host?: string
  /** More server flags, e.g. `['--protocols', 'sse', '--rate', '20']`. */
  args?: readonly string[]
  /** Node flags before the script, e.g. `['--cpu-prof', '--cpu-prof-dir', dir]`. */
  nodeArgs?: readonly string[]
  /** A command the server runs under, e.g. `['ip', 'netns', 'exec', 'lab']`. */
  prefix?: readonly string[]
  /** How long to wait for the banner, ms; default {@link CHILD_TIMEOUTS}.serverStartMs. */
  startTimeoutMs?: number
}

/** A running server child. */
export interface ServerProcess {
  /** The Node child process (kill it to inflict a crash). */
  readonly child: ChildProcess
  readonly pid: number
  /** `http://host:port`, as the banner says. */
  readonly url: string
  readonly port: number
  /** The feed epoch the reference server's banner announced; null for the baseline. */
  readonly epoch: string | null
  /** Resolves with the exit code (or the signal name) once the child has exited. */
  readonly exited: Promise<number | string>
  /** The last few KiB of its stdout and stderr. */
  output(): string
  /** CPU seconds and RSS so far, from /proc (the server process alone). */
  usage(): ProcessUsage
  /** The sum of a `/metrics` counter over its label sets for `protocol`. */
  counter(name: string, protocol: string): Promise<number>
  /** Sends `signal` (default SIGTERM: a graceful close), SIGKILL after a grace; resolves at exit. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

const BANNER = /listening on (https?:\/\/\S+)/

/**
 * Starts a server and resolves once its banner names its URL.
 *
 * @throws Error with the server's output when it exits first or stays silent too long.
 */
export async function startServerProcess(
  options: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const root = options.root ?? REPO_ROOT
  const script =
    options.design === 'baseline'
      ? [join(root, 'servers/baseline/main.ts')]
      : [join(root, 'servers/main.ts'), 'serve']
  const command = [
    ...(options.prefix ?? []),
    process.execPath,
    ...(options.nodeArgs ?? []),
    ...script,
    '--port',
    String(options.port ?? 0),
    '--host',
    options.host ?? '127.0.0.1',
    ...(options.args ?? []),
  ]
  const [file = process.execPath, ...args] = command
  const child: Child = spawnCommand(file, args, root)
  const { match, seen } = await waitForBanner(
    child,
    BANNER,
    'server',
    options.startTimeoutMs ?? CHILD_TIMEOUTS.serverStartMs,
  )
  const url = match[1] ?? ''
  const epoch = /· epoch (\S+)/.exec(seen)?.[1] ?? null
  return {
    child: child.process,
    pid: child.pid,
    url,
    port: Number(new URL(url).port),
    epoch,
    exited: child.exited,
    output: () => child.output(),
    usage: () => processUsage(child.pid),
    counter: async (name, protocol) =>
      sumSamples(await (await fetch(`${url}/metrics`)).text(), name, { protocol }),
    stop: (signal) => stopChild(child, signal),
  }
}

/**
 * The link relay as a measured child process (`load/network/main.ts`): the bench, the
 * accuracy benchmark and `npm start -- --network` run it apart from the server and the load,
 * so that its CPU is its own. Ready at its banner; its counters from the stats line it
 * prints every second; its CPU and RSS from /proc.
 */
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  CHILD_TIMEOUTS,
  spawnCommand,
  stopChild,
  waitForBanner,
  type Child,
} from '../kit/child-process.ts'
import { processUsage, type ProcessUsage } from '../kit/process-sampler.ts'
import type { RelayStatsLine } from './main.ts'
import type { RelayStats } from './relay.ts'

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const BANNER = /relay listening on (http:\/\/\S+)/

/** How to start a relay. */
export interface RelayProcessOptions {
  /** The server's URL, e.g. `http://127.0.0.1:8080`. */
  upstream: string
  /** A profile name (default `loopback`). */
  network?: string
  /** More relay flags, e.g. `['--rtt', '100', '--jitter', '5']`. */
  args?: readonly string[]
  /** A command the relay runs under, e.g. `['ip', 'netns', 'exec', 'lab']`. */
  prefix?: readonly string[]
}

/** A running relay child. */
export interface RelayProcess {
  readonly pid: number
  /** `http://127.0.0.1:port` — where the load connects instead of the server. */
  readonly url: string
  /** Its latest counters (from the line it prints every second; zeros before the first). */
  stats(): RelayStats & { t: number; cpuMs: number }
  /** Every stats line so far, oldest first (the last hour). */
  lines(): readonly (RelayStats & { t: number; cpuMs: number })[]
  /** Its next stats line (within a second). */
  nextStats(): Promise<RelayStats & { t: number; cpuMs: number }>
  /** CPU seconds and RSS so far, from /proc. */
  usage(): ProcessUsage
  /** The last few KiB of its output. */
  output(): string
  /** SIGTERM, SIGKILL after a grace; resolves at exit. */
  stop(): Promise<void>
}

const NO_STATS: RelayStats & { t: number; cpuMs: number } = {
  t: 0,
  cpuMs: 0,
  connections: 0,
  accepted: 0,
  upstreamErrors: 0,
  chunks: 0,
  bytesDown: 0,
  bytesUp: 0,
  queuedBytes: 0,
  pauses: 0,
  lateChunks: 0,
  maxLateMs: 0,
  lateMsSum: 0,
}

/**
 * Starts a relay in front of `options.upstream` and resolves once it listens.
 *
 * @throws Error with the relay's output when it exits first or prints no banner in time.
 */
export async function startRelayProcess(options: RelayProcessOptions): Promise<RelayProcess> {
  const script = [
    join(REPO_ROOT, 'load/network/main.ts'),
    '--upstream',
    options.upstream,
    '--network',
    options.network ?? 'loopback',
    '--stats',
    ...(options.args ?? []),
  ]
  const [file = process.execPath, ...args] = [
    ...(options.prefix ?? []),
    process.execPath,
    ...script,
  ]
  const child: Child = spawnCommand(file, args, REPO_ROOT)
  const { match } = await waitForBanner(child, BANNER, 'relay', CHILD_TIMEOUTS.serverStartMs)
  let latest = NO_STATS
  // One line a second; an hour of them at most.
  const history: RelayStatsLine['relay'][] = []
  let waiting: ((line: RelayStatsLine['relay']) => void)[] = []
  let pending = ''
  child.process.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8')
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      if (!line.startsWith('{"relay"')) continue
      latest = (JSON.parse(line) as RelayStatsLine).relay
      history.push(latest)
      if (history.length > 3600) history.shift()
      for (const resolve of waiting) resolve(latest)
      waiting = []
    }
  })
  return {
    pid: child.pid,
    url: match[1] ?? '',
    stats: () => latest,
    lines: () => history,
    nextStats: () =>
      new Promise((resolve) => {
        waiting.push(resolve)
      }),
    usage: () => processUsage(child.pid),
    output: () => child.output(),
    stop: () => stopChild(child),
  }
}

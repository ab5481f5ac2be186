/**
 * The server a step measures: one server process (`single`), or a local cluster (`cluster-N`:
 * redis-server, one ticker, N fan-out instances, nginx in front) started with the cluster
 * launcher in `servers/cluster`. Either way the step gets one base URL, the `/metrics` URLs
 * whose client counts add up, and the process ids whose CPU and memory are the server's.
 */
import { existsSync } from 'node:fs'
import type { Protocol } from '../../servers/transports/protocols.ts'
import { NGINX, startCluster, type RunningCluster } from '../../servers/cluster/cluster.ts'
import { REDIS_SERVER } from '../../servers/cluster/redis-process.ts'
import { startServerProcess } from '../kit/server-process.ts'

/** How one step's server is laid out. */
export interface ServerLayout {
  protocol: Protocol
  design: 'reference' | 'baseline'
  /** `single`, or `cluster-N`. */
  topology: string
  /** The server's `--encoding`, or null to leave the server's default. */
  encoding: string | null
  rateHz: number
  root: string
  /** Write a V8 CPU profile into this folder (single server only). */
  cpuProfileDir?: string | undefined
}

/** A running server under test. */
export interface ServerUnderTest {
  /** Where clients connect (nginx for a cluster). */
  baseUrl: string
  /** Every `/metrics` endpoint whose `realtime_clients` add up to the clients served. */
  metricsUrls: readonly string[]
  /** Root pids of every server process: their CPU and RSS are the step's server figures. */
  pids: readonly number[]
  /** Cluster only: the pids of nginx and of redis-server, reported apart as well. */
  parts: { nginx: number; redis: number } | null
  /** Whether a server process has exited (a step fails then). */
  exited(): boolean
  stop(): Promise<void>
}

/** Instances of a `cluster-N` topology; null for `single`. */
export function clusterInstances(topology: string): number | null {
  const match = /^cluster-([1-9]\d*)$/.exec(topology)
  return match === null ? null : Number(match[1])
}

/** Why a cluster cannot run on this machine (a missing binary), or null when it can. */
export function clusterUnavailable(): string | null {
  if (!existsSync(REDIS_SERVER)) return `${REDIS_SERVER} is not installed (Debian: redis-server)`
  if (!existsSync(NGINX)) return `${NGINX} is not installed (Debian: nginx)`
  return null
}

// Clusters still running: an interrupted bench stops their processes by pid on exit.
const liveClusters = new Set<RunningCluster>()
let exitHookInstalled = false

function clusterPids(cluster: RunningCluster): number[] {
  const pids = [
    cluster.redis.child.process.pid,
    cluster.ticker.process.pid,
    ...cluster.instances.map((instance) => instance.child.process.pid),
    cluster.nginx.process.pid,
  ]
  return pids.filter((pid): pid is number => pid !== undefined)
}

function rememberCluster(cluster: RunningCluster): void {
  liveClusters.add(cluster)
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const running of liveClusters) {
      for (const pid of clusterPids(running)) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    }
  })
}

async function startSingle(layout: ServerLayout): Promise<ServerUnderTest> {
  // The profile is written when the server exits on the bench's SIGTERM.
  const server = await startServerProcess({
    design: layout.design,
    root: layout.root,
    args: [
      '--protocols',
      layout.protocol,
      '--rate',
      String(layout.rateHz),
      ...(layout.encoding === null ? [] : ['--encoding', layout.encoding]),
    ],
    nodeArgs:
      layout.cpuProfileDir === undefined
        ? []
        : ['--cpu-prof', '--cpu-prof-dir', layout.cpuProfileDir],
  })
  return {
    baseUrl: server.url,
    metricsUrls: [server.url],
    pids: [server.pid],
    parts: null,
    exited: () => server.child.exitCode !== null || server.child.signalCode !== null,
    stop: () => server.stop(),
  }
}

async function startClusterLayout(
  layout: ServerLayout,
  instances: number,
): Promise<ServerUnderTest> {
  if (layout.design !== 'reference') {
    throw new Error('the baseline design runs as a single process only')
  }
  const cluster = await startCluster({
    instances,
    port: 0,
    rate: layout.rateHz,
    echo: false,
    ...(layout.encoding === null ? {} : { serverArgs: ['--encoding', layout.encoding] }),
  })
  rememberCluster(cluster)
  const children = [
    cluster.redis.child,
    cluster.ticker,
    ...cluster.instances.map((i) => i.child),
    cluster.nginx,
  ]
  return {
    baseUrl: cluster.url,
    metricsUrls: cluster.instances.map((instance) => instance.url),
    pids: clusterPids(cluster),
    parts: {
      nginx: cluster.nginx.process.pid ?? 0,
      redis: cluster.redis.child.process.pid ?? 0,
    },
    exited: () =>
      children.some((c) => c.process.exitCode !== null || c.process.signalCode !== null),
    stop: async () => {
      await cluster.stop()
      liveClusters.delete(cluster)
    },
  }
}

/**
 * Starts the step's server and waits until it answers.
 *
 * @throws Error when it does not come up (the message carries its output).
 */
export async function startServerUnderTest(layout: ServerLayout): Promise<ServerUnderTest> {
  const instances = clusterInstances(layout.topology)
  if (instances === null) return startSingle(layout)
  return startClusterLayout(layout, instances)
}

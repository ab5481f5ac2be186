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
import { placeServer, startLink, type LinkUnderTest } from '../network/link.ts'

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
  /** A link profile (`load/network`) between the load and the server; default `loopback`. */
  network?: string | undefined
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
  /** The link in front of the server; null on loopback (the load connects directly). */
  link: LinkUnderTest | null
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
  // A loss profile's server lives in a namespace made first; the relay starts once it listens.
  const placement = placeServer(layout.network ?? 'loopback')
  // The profile is written when the server exits on the bench's SIGTERM.
  const starting = startServerProcess({
    design: layout.design,
    root: layout.root,
    host: placement.host,
    prefix: placement.prefix,
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
  const server = await starting.catch((error: unknown) => {
    placement.namespace?.close()
    throw error
  })
  const link =
    placement.profile.name === 'loopback'
      ? null
      : await startLink(placement, server.url).catch(async (error: unknown) => {
          await server.stop()
          throw error
        })
  return {
    baseUrl: link?.url ?? server.url,
    metricsUrls: [server.url],
    pids: [server.pid],
    parts: null,
    link,
    exited: () => server.child.exitCode !== null || server.child.signalCode !== null,
    // The relay and then the namespace go once the server inside it has exited.
    stop: async () => {
      await server.stop()
      await link?.stop()
    },
  }
}

async function startClusterLayout(
  layout: ServerLayout,
  instances: number,
): Promise<ServerUnderTest> {
  if (layout.design !== 'reference') {
    throw new Error('the baseline design runs as a single process only')
  }
  if ((layout.network ?? 'loopback') !== 'loopback') {
    throw new Error('a network profile runs with a single server (the cluster has nginx in front)')
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
    link: null,
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

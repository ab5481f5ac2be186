/**
 * A local cluster: a private redis-server, one ticker, N fan-out instances and nginx in
 * front, every one a child process of this one and stopped by it (by PID).
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, startChild, waitUntil, type Child } from './child-processes.ts'
import { renderNginxConfig } from './nginx-config.ts'
import { startRedis, type RedisProcess } from './redis-process.ts'

/** Where the Debian package puts nginx. */
export const NGINX = '/usr/sbin/nginx'

const SERVER_MAIN = fileURLToPath(new URL('../main.ts', import.meta.url))

/** Options of {@link startCluster}, with defaults in {@link CLUSTER_DEFAULTS}. */
export interface ClusterOptions {
  /** Fan-out instances behind nginx. */
  instances: number
  /** nginx port; 0 picks a free one. */
  port: number
  /** TLS termination at nginx (PEM paths). */
  tls?: { cert: string; key: string }
  /** nginx routes WebSocket upgrades by client address too (other paths always are). */
  sticky: boolean
  /** Feed ticks per second. */
  rate: number
  /** Frames of history (stream MAXLEN ~ and each instance's ring). */
  history: number
  /** Print the children's output with a name prefix. */
  echo: boolean
  /** Extra `serve` flags for the ticker and every instance (the bench passes `--encoding`). */
  serverArgs?: readonly string[]
}

/** Defaults: 2 instances on port 8080, round robin, 10 Hz, 600 frames, quiet children. */
export const CLUSTER_DEFAULTS: Readonly<ClusterOptions> = Object.freeze({
  instances: 2,
  port: 8080,
  sticky: false,
  rate: 10,
  history: 600,
  echo: false,
})

/** A running cluster. */
export interface RunningCluster {
  /** The nginx URL (`http://` or `https://`), no trailing slash. */
  url: string
  /** Each fan-out instance's own URL. */
  instances: { url: string; child: Child }[]
  redis: RedisProcess
  ticker: Child
  nginx: Child
  /** The temp dir holding nginx.conf, its logs and the Redis data. */
  dir: string
  /** Stop nginx, the instances, the ticker and Redis (in that order), remove the temp dir. */
  stop(): Promise<void>
}

const httpOk = async (url: string): Promise<boolean> => (await fetch(url)).ok

/** Start a cluster; on failure whatever was started is stopped again. */
export async function startCluster(options: Partial<ClusterOptions> = {}): Promise<RunningCluster> {
  const settings = { ...CLUSTER_DEFAULTS, ...options }
  if (!Number.isInteger(settings.instances) || settings.instances < 1) {
    throw new TypeError(
      `startCluster: instances must be a positive integer, got ${settings.instances}`,
    )
  }
  const dir = await mkdtemp(join(tmpdir(), 'realtime-cluster-'))
  const started: { stop(): Promise<void> }[] = []
  const stopAll = async () => {
    for (const child of started.reverse()) await child.stop()
    started.length = 0
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await mkdir(join(dir, 'redis'))
    const redis = await startRedis({ dir: join(dir, 'redis') })
    started.push(redis)
    const common = [
      '--rate',
      String(settings.rate),
      '--history',
      String(settings.history),
      ...(settings.serverArgs ?? []),
    ]
    const ticker = startChild(
      'ticker',
      process.execPath,
      [SERVER_MAIN, 'serve', '--bus', redis.url, '--role', 'ticker', ...common],
      { echo: settings.echo },
    )
    started.push(ticker)
    await waitUntil(ticker, () => Promise.resolve(ticker.output().includes('publishing')))
    const instances: RunningCluster['instances'] = []
    for (let index = 0; index < settings.instances; index++) {
      const port = await freePort()
      const child = startChild(
        `instance-${index + 1}`,
        process.execPath,
        [
          SERVER_MAIN,
          'serve',
          '--bus',
          redis.url,
          '--role',
          'fanout',
          '--port',
          String(port),
          ...common,
        ],
        { echo: settings.echo },
      )
      started.push(child)
      instances.push({ url: `http://127.0.0.1:${port}`, child })
    }
    for (const instance of instances) {
      await waitUntil(instance.child, () => httpOk(`${instance.url}/healthz`))
    }
    const port = settings.port === 0 ? await freePort() : settings.port
    const config = renderNginxConfig({
      listenPort: port,
      upstreams: instances.map((instance) => instance.url.replace('http://', '')),
      tempDir: dir,
      sticky: settings.sticky,
      runAsRoot: process.getuid?.() === 0,
      ...(settings.tls === undefined ? {} : { tls: settings.tls }),
    })
    await writeFile(join(dir, 'nginx.conf'), config)
    const nginx = startChild(
      'nginx',
      NGINX,
      ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
      { echo: settings.echo },
    )
    started.push(nginx)
    const scheme = settings.tls === undefined ? 'http' : 'https'
    const url = `${scheme}://127.0.0.1:${port}`
    // fetch refuses a self-signed certificate, so with TLS the pid file (written once nginx
    // has bound its port) is the readiness signal.
    await waitUntil(nginx, async () =>
      settings.tls === undefined ? httpOk(`${url}/healthz`) : existsSync(join(dir, 'nginx.pid')),
    )
    return { url, instances, redis, ticker, nginx, dir, stop: stopAll }
  } catch (error) {
    await stopAll()
    throw error
  }
}

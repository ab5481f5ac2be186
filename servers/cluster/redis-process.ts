/**
 * A private redis-server (Debian's `/usr/bin/redis-server`): loopback only, its own port
 * and data dir, with or without persistence. The cluster launcher and the scale tests use it.
 */
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { freePort, startChild, waitUntil, type Child } from './child-processes.ts'

/** Where the Debian package puts the binary. */
export const REDIS_SERVER = '/usr/bin/redis-server'

/** Whether redis-server is installed (tests skip with a reason when it is not). */
export const redisAvailable = (): boolean => existsSync(REDIS_SERVER)

/** Options of {@link startRedis}. */
export interface RedisOptions {
  /** Data directory (AOF / RDB files). */
  dir: string
  /** Port; a free one when omitted. */
  port?: number
  /**
   * `aof`: append-only file fsynced on every write (nothing acknowledged is lost);
   * `none`: memory only, a restart loses the stream and the epoch. Default `none`.
   */
  persistence?: 'aof' | 'none'
}

/** A running redis-server. */
export interface RedisProcess {
  readonly port: number
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  readonly child: Child
  /** SIGTERM (a clean shutdown; with `aof` the file is complete), then wait for exit. */
  stop(): Promise<void>
}

const answersPing = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.setTimeout(500)
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (chunk) => {
      socket.destroy()
      resolve(chunk.toString().startsWith('+PONG'))
    })
    socket.once('error', () => {
      resolve(false)
    })
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })

/** Start redis-server and wait until it answers PING. */
export async function startRedis(options: RedisOptions): Promise<RedisProcess> {
  const port = options.port ?? (await freePort())
  const persistence = options.persistence ?? 'none'
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    options.dir,
    '--save',
    '',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
    '--appendonly',
    persistence === 'aof' ? 'yes' : 'no',
    '--appendfsync',
    'always',
  ]
  const child = startChild(`redis-server :${port}`, REDIS_SERVER, args)
  await waitUntil(child, () => answersPing(port))
  return { port, url: `redis://127.0.0.1:${port}`, child, stop: () => child.stop() }
}

/**
 * `npm run cluster -- --instances 2 [--port 8080] [--tls-cert f --tls-key f] [--sticky]`:
 * start a local cluster (Redis, one ticker, N fan-out instances, nginx in front), print its
 * URL, and stop everything it started on SIGINT / SIGTERM.
 */
import { Command, InvalidArgumentError } from 'commander'
import { stopOnSignals } from '../http/stop-on-signals.ts'
import { CLUSTER_DEFAULTS, startCluster } from './cluster.ts'

const integer = (name: string, min: number, max: number) => (text: string) => {
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}]`)
  }
  return value
}

/** Build the CLI program. */
export function createClusterProgram(): Command {
  return new Command('realtime-lab-cluster')
    .description('Redis + one ticker + N fan-out instances + nginx in front, on loopback')
    .option(
      '--instances <n>',
      'fan-out instances',
      integer('instances', 1, 64),
      CLUSTER_DEFAULTS.instances,
    )
    .option(
      '--port <n>',
      'nginx port; 0 picks a free one',
      integer('port', 0, 65535),
      CLUSTER_DEFAULTS.port,
    )
    .option('--tls-cert <file>', 'PEM certificate: nginx terminates TLS')
    .option('--tls-key <file>', 'PEM private key for --tls-cert')
    .option(
      '--sticky',
      'route WebSocket upgrades by client address too (other paths always are)',
      false,
    )
    .option('--rate <hz>', 'feed ticks per second', integer('rate', 1, 1000), CLUSTER_DEFAULTS.rate)
    .option(
      '--history <frames>',
      'frames kept for resume',
      integer('history', 1, 1_000_000),
      CLUSTER_DEFAULTS.history,
    )
    .option('--quiet', 'do not echo the children’s output', false)
    .action(async (flags: Record<string, unknown>) => {
      const cert = flags['tlsCert'] as string | undefined
      const key = flags['tlsKey'] as string | undefined
      if ((cert === undefined) !== (key === undefined)) {
        throw new InvalidArgumentError('--tls-cert and --tls-key go together')
      }
      const cluster = await startCluster({
        instances: flags['instances'] as number,
        port: flags['port'] as number,
        sticky: flags['sticky'] as boolean,
        rate: flags['rate'] as number,
        history: flags['history'] as number,
        echo: !(flags['quiet'] as boolean),
        ...(cert === undefined || key === undefined ? {} : { tls: { cert, key } }),
      })
      console.log(
        `realtime-lab cluster at ${cluster.url} · ${cluster.instances.length} instances (${cluster.instances.map((instance) => instance.url).join(', ')}) · redis ${cluster.redis.url} · nginx.conf in ${cluster.dir}`,
      )
      stopOnSignals(() => cluster.stop(), 'stopping nginx, instances, ticker, redis')
    })
}

if (import.meta.main) {
  await createClusterProgram().parseAsync(process.argv)
}

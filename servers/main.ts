/**
 * CLI entry: `node servers/main.ts serve [options]` (`npm start`). Also exports
 * {@link startServer} for tests and the bench.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { StreamTicker } from './bus/stream-ticker.ts'
import { PROTOCOLS, type Protocol } from './feed/messages.ts'
import { SERVER_DEFAULTS } from './http/options.ts'
import { startServer } from './http/start-server.ts'
import { TRANSPORT_PATHS } from './transports/registry.ts'

export { startServer, type RunningServer } from './http/start-server.ts'
export { SERVER_DEFAULTS, type ServerOptions } from './http/options.ts'

const integer = (name: string, min: number, max: number) => (text: string) => {
  const value = Number(text)
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer in [${min}, ${max}]`)
  }
  return value
}

const protocolList = (text: string): Protocol[] => {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
  for (const name of names) {
    if (!(PROTOCOLS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown protocol "${name}"; use ${PROTOCOLS.join(',')}`)
    }
  }
  if (names.length === 0) throw new InvalidArgumentError('name at least one protocol')
  return names as Protocol[]
}

/** Build the CLI program. */
export function createProgram(): Command {
  const program = new Command('realtime-lab')
  program
    .command('serve')
    .description('serve the feed over WebSocket, SSE, long polling and short polling on one port')
    .addOption(
      new Option('--port <n>', 'TCP port; 0 picks a free one')
        .env('PORT')
        .default(SERVER_DEFAULTS.port)
        .argParser(integer('port', 0, 65535)),
    )
    .option('--host <host>', 'interface to listen on', SERVER_DEFAULTS.host)
    .option('--protocols <list>', 'comma-separated protocols to serve', protocolList, [
      ...SERVER_DEFAULTS.protocols,
    ])
    .option('--rate <hz>', 'feed ticks per second', integer('rate', 1, 1000), SERVER_DEFAULTS.rate)
    .option(
      '--sprites <n>',
      'bouncing sprites',
      integer('sprites', 0, 10_000),
      SERVER_DEFAULTS.sprites,
    )
    .option(
      '--pad <bytes>',
      'filler bytes per frame',
      integer('pad', 0, 1_048_576),
      SERVER_DEFAULTS.pad,
    )
    .option(
      '--history <frames>',
      'frames kept for resume',
      integer('history', 1, 1_000_000),
      SERVER_DEFAULTS.history,
    )
    .option('--seed <n>', 'PRNG seed', integer('seed', 0, 2 ** 32 - 1), SERVER_DEFAULTS.seed)
    .option('--deflate', 'enable WebSocket permessage-deflate', SERVER_DEFAULTS.deflate)
    .option(
      '--max-buffered <bytes>',
      'unsent bytes after which a client is closed as slow',
      integer('max-buffered', 1024, 2 ** 31),
      SERVER_DEFAULTS.maxBufferedBytes,
    )
    .option('--bus <url>', 'Redis URL of the bus (redis://host:port); default: in-process feed')
    .option('--bus-prefix <prefix>', 'key prefix on the Redis bus', 'realtime')
    .addOption(
      new Option(
        '--role <role>',
        'with --bus: ticker (publish only), fanout (serve only) or both (default)',
      ).choices(['ticker', 'fanout', 'both']),
    )
    .option(
      '--origins <list>',
      'comma-separated origins allowed to open a WebSocket (default: any)',
      (text: string) =>
        text
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin !== ''),
    )
    .action(async (flags: Record<string, unknown>, command: Command) => {
      const bus = flags['bus'] as string | undefined
      const roleFlag = flags['role'] as 'ticker' | 'fanout' | 'both' | undefined
      if (roleFlag !== undefined && bus === undefined) {
        command.error('error: --role needs --bus redis://…: without a bus there is one role')
      }
      const role = roleFlag ?? 'both'
      const busPrefix = flags['busPrefix'] as string
      if (bus !== undefined && !/^rediss?:\/\//.test(bus)) {
        command.error(`error: --bus must be a redis:// URL, got ${JSON.stringify(bus)}`)
      }
      // A bus that cannot be reached at start is a usage error: one line, no stack.
      const orExit = <T>(promise: Promise<T>): Promise<T> =>
        promise.catch((error: unknown) =>
          command.error(`error: ${error instanceof Error ? error.message : String(error)}`),
        )
      const ticker =
        bus !== undefined && role !== 'fanout'
          ? await orExit(
              StreamTicker.connect({
                url: bus,
                prefix: busPrefix,
                rate: flags['rate'] as number,
                sprites: flags['sprites'] as number,
                events: SERVER_DEFAULTS.events,
                pad: flags['pad'] as number,
                history: flags['history'] as number,
                seed: flags['seed'] as number,
              }),
            )
          : undefined
      if (ticker !== undefined && role === 'ticker') {
        console.log(
          `realtime-lab ticker publishing to ${bus ?? ''} (${busPrefix}:frames) · epoch ${ticker.epoch} · from seq ${ticker.seq + 1}`,
        )
        const stopTicker = (signal: string) => {
          console.log(`${signal}: ticker stopped at seq ${ticker.seq}`)
          ticker.close()
          process.exit(0)
        }
        process.once('SIGINT', () => {
          stopTicker('SIGINT')
        })
        process.once('SIGTERM', () => {
          stopTicker('SIGTERM')
        })
        return
      }
      const server = await orExit(
        startServer({
          ...(bus === undefined ? {} : { bus, busPrefix }),
          port: flags['port'] as number,
          host: flags['host'] as string,
          protocols: flags['protocols'] as Protocol[],
          rate: flags['rate'] as number,
          sprites: flags['sprites'] as number,
          pad: flags['pad'] as number,
          history: flags['history'] as number,
          seed: flags['seed'] as number,
          deflate: flags['deflate'] as boolean,
          maxBufferedBytes: flags['maxBuffered'] as number,
          allowedOrigins: (flags['origins'] as string[] | undefined) ?? null,
        }),
      )
      const ws = server.url.replace(/^http/, 'ws')
      const urls = server.options.protocols.map(
        (protocol) =>
          `${protocol} ${protocol === 'websocket' ? ws : server.url}${TRANSPORT_PATHS[protocol]}`,
      )
      console.log(
        `realtime-lab listening on ${server.url} · ${urls.join(' · ')} · ${server.url}/api/events · ${server.url}/healthz · ${server.url}/metrics · epoch ${server.feed.epoch} · ${server.options.rate} Hz · bus ${bus === undefined ? 'memory' : `${bus} (${role})`}`,
      )
      let stopping = false
      const stop = (signal: string) => {
        if (stopping) return
        stopping = true
        console.log(`${signal}: closing clients`)
        ticker?.close()
        server.close().then(
          () => process.exit(0),
          (error: unknown) => {
            console.error(error)
            process.exit(1)
          },
        )
      }
      process.once('SIGINT', () => {
        stop('SIGINT')
      })
      process.once('SIGTERM', () => {
        stop('SIGTERM')
      })
    })
  return program
}

if (import.meta.main) {
  await createProgram().parseAsync(process.argv)
}

/**
 * CLI entry: `node servers/main.ts serve [options]` (`npm start`). Also exports
 * {@link startServer} for tests and the bench.
 */
import { existsSync, readFileSync } from 'node:fs'
import { Command, InvalidArgumentError, Option } from 'commander'
import { StreamTicker } from './bus/stream-ticker.ts'
import { FEED_ENCODINGS, type FeedEncoding } from './feed/binary-layout.ts'
import { PROTOCOL_TABLE, PROTOCOLS, type Protocol } from './transports/protocols.ts'
import { authFromPublicKey, authFromSecret, type AuthOptions } from './http/auth.ts'
import { SITE_DIST } from './http/app.ts'
import { SERVER_DEFAULTS, type LiveLink, type ServerOptions } from './http/options.ts'
import { startServer, type RunningServer } from './start-server.ts'
import { stopOnSignals } from './http/stop-on-signals.ts'

export { startServer, type RunningServer } from './start-server.ts'
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

const encodingName = (text: string): FeedEncoding => {
  if (!(FEED_ENCODINGS as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(
      `unknown encoding ${JSON.stringify(text)}; use ${FEED_ENCODINGS.join(' or ')}`,
    )
  }
  return text as FeedEncoding
}

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
]

/** Reads a PEM file named by a flag; a missing file is a usage error naming the flag. */
const readPem = (flag: string, path: string, fail: (message: string) => never): string => {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    return fail(`error: ${flag} ${path}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** Build the CLI program. */
export function createProgram(): Command {
  const program = new Command('realtime-lab')
  const serve = program
    .command('serve')
    .description('serve the feed over WebSocket, SSE, long polling and short polling on one port')
  withNetworkOptions(withProtectionOptions(withBusOptions(withFeedOptions(serve)))).action(
    serveCommand,
  )
  return program
}

/** The feed's options: where to listen, what to serve, how each frame is built and bounded. */
function withFeedOptions(command: Command): Command {
  return command
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
      '--encoding <name>',
      'frames as json text or binary (binary WebSocket messages, base64 SSE data; polls stay json)',
      encodingName,
      SERVER_DEFAULTS.encoding,
    )
    .option(
      '--max-buffered <bytes>',
      'unsent bytes after which a client is closed as slow',
      integer('max-buffered', 1024, 2 ** 31),
      SERVER_DEFAULTS.maxBufferedBytes,
    )
}

/** The Redis bus: its URL, key prefix, and this process's role on it. */
function withBusOptions(command: Command): Command {
  return command
    .option('--bus <url>', 'Redis URL of the bus (redis://host:port); default: in-process feed')
    .option('--bus-prefix <prefix>', 'key prefix on the Redis bus', 'realtime')
    .addOption(
      new Option(
        '--role <role>',
        'with --bus: ticker (publish only), fanout (serve only) or both (default)',
      ).choices(['ticker', 'fanout', 'both']),
    )
}

/** Who may connect and how much: origins, JWT auth, per-address limits, proxy trust, TLS. */
function withProtectionOptions(command: Command): Command {
  return command
    .option(
      '--allow-origin <url>',
      'origin allowed on /ws, /sse, /poll/*, /api POSTs and labs (repeatable; default: any)',
      collect,
    )
    .option(
      '--origins <list>',
      'deprecated: comma-separated form of --allow-origin',
      (text: string, previous: string[] | undefined) => [
        ...(previous ?? []),
        ...text
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin !== ''),
      ],
    )
    .addOption(
      new Option(
        '--jwt-secret <secret>',
        'HS256 secret (≥ 32 bytes): every entry point needs a JWT',
      ).env('JWT_SECRET'),
    )
    .option('--jwt-public-key <pem file>', 'public key (SPKI PEM) verifying JWTs, with --jwt-alg')
    .addOption(
      new Option('--jwt-alg <alg>', 'algorithm of --jwt-public-key').choices([
        'RS256',
        'ES256',
        'EdDSA',
      ]),
    )
    .option('--jwt-issuer <iss>', 'required iss claim (needed with JWT auth)')
    .option('--jwt-audience <aud>', 'required aud claim (needed with JWT auth)')
    .option(
      '--max-connections-per-ip <n>',
      'open WebSocket/SSE/long-poll connections per client address (0 = unlimited)',
      integer('max-connections-per-ip', 0, 1_000_000),
      SERVER_DEFAULTS.maxConnectionsPerIp,
    )
    .option(
      '--max-poll-sessions-per-ip <n>',
      'live poll sessions (session=new) per client address and poll transport, then 429 (0 = unlimited)',
      integer('max-poll-sessions-per-ip', 0, 1_000_000),
      SERVER_DEFAULTS.maxPollSessionsPerIp,
    )
    .option(
      '--max-messages-per-s <n>',
      'messages per second per WebSocket client, then close 1008 (0 = unlimited)',
      integer('max-messages-per-s', 0, 1_000_000),
      SERVER_DEFAULTS.maxMessagesPerS,
    )
    .option(
      '--max-polls-per-s <n>',
      'poll requests per second per client address, then 429 (0 = unlimited)',
      integer('max-polls-per-s', 0, 1_000_000),
      SERVER_DEFAULTS.maxPollsPerS,
    )
    .option(
      '--trust-proxy',
      'read the client address from X-Forwarded-For (only behind your own proxy)',
      SERVER_DEFAULTS.trustProxy,
    )
    .option('--tls-cert <pem file>', 'certificate: serve https and wss (with --tls-key)')
    .option('--tls-key <pem file>', 'private key of --tls-cert')
}

/** Emulated links (load/network) in front of the server. */
function withNetworkOptions(command: Command): Command {
  return command
    .option(
      '--network <profile>',
      'serve through the link emulator (load/network): lan, broadband, 4g, 3g, 4g-lossy, 4g-lossy-3; the server itself moves to a private port',
    )
    .option(
      '--live-networks <list>',
      'also serve through emulated links on the next ports, one per profile (e.g. 4g,3g): the live page switches between them',
      (text: string) =>
        text
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== ''),
    )
}

/** `serve`: validate the flags, then run a ticker alone, a server behind a link, or a server. */
async function serveCommand(flags: Record<string, unknown>, command: Command): Promise<void> {
  const fail = (message: string): never => command.error(message)
  const auth = await authFlags(flags, fail)
  const tlsCert = flags['tlsCert'] as string | undefined
  const tlsKey = flags['tlsKey'] as string | undefined
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    fail('error: --tls-cert and --tls-key go together')
  }
  const tls =
    tlsCert !== undefined && tlsKey !== undefined
      ? { cert: readPem('--tls-cert', tlsCert, fail), key: readPem('--tls-key', tlsKey, fail) }
      : null
  const origins = [
    ...((flags['allowOrigin'] as string[] | undefined) ?? []),
    ...((flags['origins'] as string[] | undefined) ?? []),
  ]
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
  const network = flags['network'] as string | undefined
  if (network !== undefined && network !== 'loopback') {
    // The server runs as a child with these same flags, behind a relay on --host/--port.
    // Loaded only here: the link emulator is lab tooling, not part of the server.
    const { serveOverNetwork, serverArgsOf } = await import('../load/network/serve.ts')
    const argv = process.argv.slice(process.argv.indexOf('serve') + 1)
    await orExit(
      serveOverNetwork({
        network,
        host: flags['host'] as string,
        port: flags['port'] as number,
        serverArgs: serverArgsOf(argv),
      }),
    )
    return
  }
  const liveNetworks = (flags['liveNetworks'] as string[] | undefined) ?? []
  // Loaded only when asked for: the link emulator is lab tooling, not part of the server.
  const live = liveNetworks.length === 0 ? undefined : await import('../load/network/live-links.ts')
  let liveLinks: LiveLink[] = []
  try {
    liveLinks =
      live?.liveLinksOf(
        liveNetworks,
        flags['host'] as string,
        flags['port'] as number,
        tls !== null,
      ) ?? []
  } catch (error) {
    fail(`error: ${error instanceof Error ? error.message : String(error)}`)
  }
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
    stopOnSignals(
      () => {
        ticker.close()
      },
      () => `ticker stopped at seq ${ticker.seq}`,
    )
    return
  }
  const server = await orExit(
    startServer(serverOptionsOf(flags, { bus, busPrefix, origins, auth, tls, liveLinks })),
  )
  const relays =
    live === undefined
      ? undefined
      : await live
          .startLiveLinks(liveLinks, { host: new URL(server.url).hostname, port: server.port })
          .catch(async (error: unknown) => {
            await server.close('shutdown')
            return fail(`error: ${error instanceof Error ? error.message : String(error)}`)
          })
  printBanner(server, { bus, role, auth, origins, liveLinks })
  // SIGTERM is what orchestrators send before a restart: clients get 1012 and come back.
  stopOnSignals(async (signal) => {
    ticker?.close()
    await relays?.close()
    await server.close(signal === 'SIGTERM' ? 'restart' : 'shutdown')
  }, 'closing clients')
}

/** What the flags resolved to that is not a flag's value as it is. */
interface ResolvedFlags {
  bus: string | undefined
  busPrefix: string
  origins: string[]
  auth: AuthOptions | null
  tls: { cert: string; key: string } | null
  liveLinks: LiveLink[]
}

/** The server's options from the `serve` flags. */
function serverOptionsOf(
  flags: Record<string, unknown>,
  { bus, busPrefix, origins, auth, tls, liveLinks }: ResolvedFlags,
): Partial<ServerOptions> {
  return {
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
    encoding: flags['encoding'] as FeedEncoding,
    maxBufferedBytes: flags['maxBuffered'] as number,
    allowedOrigins: origins.length === 0 ? null : origins,
    auth,
    maxConnectionsPerIp: flags['maxConnectionsPerIp'] as number,
    maxPollSessionsPerIp: flags['maxPollSessionsPerIp'] as number,
    maxMessagesPerS: flags['maxMessagesPerS'] as number,
    maxPollsPerS: flags['maxPollsPerS'] as number,
    trustProxy: flags['trustProxy'] as boolean,
    tls,
    liveLinks,
  }
}

/** What the banner says besides the server itself. */
interface BannerDetails {
  bus: string | undefined
  role: string
  auth: AuthOptions | null
  origins: readonly string[]
  liveLinks: readonly LiveLink[]
}

/**
 * The start-up banner: every URL, the feed's settings, and where the study site and the live
 * page over each emulated link are. The token never appears: it names only whether auth is on.
 */
function printBanner(
  server: RunningServer,
  { bus, role, auth, origins, liveLinks }: BannerDetails,
): void {
  const ws = server.url.replace(/^http/, 'ws')
  const urls = server.options.protocols.map(
    (protocol) =>
      `${protocol} ${PROTOCOL_TABLE[protocol].upgrade ? ws : server.url}${PROTOCOL_TABLE[protocol].path}`,
  )
  console.log(
    `realtime-lab listening on ${server.url} · ${urls.join(' · ')} · ${server.url}/api/events · ${server.url}/healthz · ${server.url}/metrics · epoch ${server.feed.epoch} · ${server.options.rate} Hz · ${server.options.encoding}${server.options.deflate ? ' + deflate' : ''} · bus ${bus === undefined ? 'memory' : `${bus} (${role})`}${auth === null ? '' : ' · JWT required'}${origins.length === 0 ? '' : ` · origins ${origins.join(' ')}`}`,
  )
  console.log(
    existsSync(SITE_DIST)
      ? `study site ${server.url}/ · all questions ${server.url}/questions/ · live demo ${server.url}/live/`
      : 'study site not built: run npm run site:build, then restart to serve it here (questions, results, live demo)',
  )
  for (const link of liveLinks.filter((candidate) => candidate.name !== 'loopback')) {
    console.log(`live page over ${link.name}: ${link.url}/live/ (${link.label})`)
  }
}

/** JWT options from the flags, or null when no key is given; a bad combination is a usage error. */
async function authFlags(
  flags: Record<string, unknown>,
  fail: (message: string) => never,
): Promise<AuthOptions | null> {
  const secret = flags['jwtSecret'] as string | undefined
  const keyFile = flags['jwtPublicKey'] as string | undefined
  const alg = flags['jwtAlg'] as 'RS256' | 'ES256' | 'EdDSA' | undefined
  const issuer = flags['jwtIssuer'] as string | undefined
  const audience = flags['jwtAudience'] as string | undefined
  if (secret === undefined && keyFile === undefined) {
    if (alg !== undefined || issuer !== undefined || audience !== undefined) {
      fail('error: --jwt-alg/--jwt-issuer/--jwt-audience need --jwt-secret or --jwt-public-key')
    }
    return null
  }
  if (secret !== undefined && keyFile !== undefined) {
    fail('error: give --jwt-secret or --jwt-public-key, not both')
  }
  if (issuer === undefined || audience === undefined) {
    return fail('error: JWT auth needs --jwt-issuer and --jwt-audience')
  }
  try {
    if (secret !== undefined) return authFromSecret(secret, issuer, audience)
    if (alg === undefined) return fail('error: --jwt-public-key needs --jwt-alg RS256|ES256|EdDSA')
    return await authFromPublicKey(
      readPem('--jwt-public-key', keyFile ?? '', fail),
      alg,
      issuer,
      audience,
    )
  } catch (error) {
    return fail(`error: ${error instanceof Error ? error.message : String(error)}`)
  }
}

if (import.meta.main) {
  await createProgram().parseAsync(process.argv)
}

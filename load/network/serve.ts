/**
 * `npm start -- --network <profile>`: the reference server behind a link, for hands-on
 * experiments — the live demo, a browser's DevTools, a k6 run — over 4g or 3g instead of
 * loopback. The server runs as a child on a private port (inside a loss namespace when the
 * profile drops packets) and the relay takes the address the user asked for, so every client
 * of that address crosses the link. The server's own address stays reachable, undelayed,
 * for a side-by-side comparison.
 *
 * Every client reaches the server from the relay's address: per-address limits
 * (`--max-connections-per-ip` and the like) count them together.
 */
import { signalsHandledByCaller } from '../kit/child-process.ts'
import { startServerProcess, type ServerProcess } from '../kit/server-process.ts'
import { stopOnSignals } from '../../servers/http/stop-on-signals.ts'
import { namespaceFor } from './link.ts'
import { profileOf } from './profiles.ts'
import { LinkRelay, linkOf } from './relay.ts'

/** What `serve --network` was given. */
export interface ServeOverNetworkOptions {
  /** The profile's name (checked: an unknown one is an error naming the known ones). */
  network: string
  /** Where clients connect (the relay listens here). */
  host: string
  port: number
  /** Every other `serve` flag, passed to the server unchanged. */
  serverArgs: readonly string[]
}

/** The flags `serve --network` handles itself: they are not passed on to the server. */
const OWN_FLAGS = ['--network', '--port', '--host'] as const

/** `args` without the flags (and their values) that `serve --network` handles itself. */
export function serverArgsOf(args: readonly string[]): string[] {
  const kept: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ''
    const own = OWN_FLAGS.find((flag) => arg === flag || arg.startsWith(`${flag}=`))
    if (own === undefined) kept.push(arg)
    else if (arg === own) i++
  }
  return kept
}

/**
 * Starts the server behind the profile's link and keeps them running until a signal.
 *
 * @throws Error when the profile is unknown, its loss cannot be made here, or the server or
 * the relay does not start (nothing is left running then).
 */
export async function serveOverNetwork(options: ServeOverNetworkOptions): Promise<void> {
  const profile = profileOf(options.network)
  signalsHandledByCaller()
  const namespace = namespaceFor(profile)
  const made = namespace
  let server: ServerProcess | undefined
  let relay: LinkRelay | undefined
  try {
    server = await startServerProcess({
      host: namespace?.serverHost ?? '127.0.0.1',
      args: options.serverArgs,
      ...(namespace === null ? {} : { prefix: namespace.prefix }),
    })
    relay = await LinkRelay.start({
      upstream: { host: new URL(server.url).hostname, port: server.port },
      host: options.host,
      port: options.port,
      link: linkOf(profile),
    })
  } catch (error) {
    await server?.stop()
    namespace?.close()
    throw error
  }
  const running = server
  const front = relay
  // The server's banner, with the relay's address where clients connect.
  const banner = /^.*listening on .*$/m.exec(running.output())?.[0] ?? ''
  console.log(banner.replaceAll(`//${new URL(running.url).host}`, `//${new URL(front.url).host}`))
  console.log(
    `network ${profile.name}: ${profile.label}${profile.lossPercent > 0 ? ` (in namespace ${namespace?.name ?? ''})` : ''} · ` +
      `the server without the link: ${running.url}`,
  )
  for (const stream of [running.child.stdout, running.child.stderr]) {
    stream?.on('data', (chunk: Buffer) => process.stdout.write(chunk))
  }
  let stopping = false
  void running.exited.then(async (code) => {
    if (stopping) return
    console.error(`the server exited (${String(code)}): closing the link`)
    await front.close()
    made?.close()
    process.exit(1)
  })
  stopOnSignals(async () => {
    stopping = true
    await front.close()
    await running.stop()
    made?.close()
  }, 'closing the link and the server')
}

/**
 * CLI entry: `node load/network/main.ts --upstream <url> --network <profile> [options]` — the
 * link relay as its own process, so that its CPU is measured apart from the server's and the
 * load's. Prints a banner (`relay listening on http://…`) once it accepts connections and,
 * with `--stats`, one JSON line of its counters every second.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { stopOnSignals } from '../../servers/http/stop-on-signals.ts'
import {
  PROFILE_NAMES,
  bytesPerSecond,
  isProfileName,
  kbitPerSecond,
  profileOf,
} from './profiles.ts'
import { LinkRelay, linkOf, type LinkSettings, type RelayStats } from './relay.ts'
import { numberProblem } from '../kit/tool-args.ts'

/**
 * One stats line: `{"relay": {...}}` with the time it was taken (Unix s) and the relay's
 * CPU time so far (user + system, ms), read at the same instant as its counters.
 */
export interface RelayStatsLine {
  relay: RelayStats & { t: number; cpuMs: number }
}

const nonNegative = (name: string) => (text: string) => {
  const problem = numberProblem(name, text, { min: 0 })
  if (problem !== undefined) throw new InvalidArgumentError(problem)
  return Number(text)
}

const profileName = (text: string): string => {
  if (!isProfileName(text)) {
    throw new InvalidArgumentError(`unknown profile "${text}"; use ${PROFILE_NAMES.join(', ')}`)
  }
  return text
}

/** `http://host:port` → host and port; a usage error names what is wrong. */
const upstreamAddress = (text: string): { host: string; port: number } => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidArgumentError(`"${text}" is not a URL such as http://127.0.0.1:8080`)
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80))
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port }
}

/** The relay's command line (exported for tests of option parsing). */
export function relayProgram(): Command {
  return new Command('relay')
    .description('a TCP relay that adds a link profile between the load and a server')
    .requiredOption('--upstream <url>', 'the server, e.g. http://127.0.0.1:8080', upstreamAddress)
    .addOption(
      new Option('--network <profile>', `link profile: ${PROFILE_NAMES.join(', ')}`)
        .argParser(profileName)
        .default('loopback'),
    )
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--port <n>', 'listen port (0: a free one)', nonNegative('--port'), 0)
    .option('--rtt <ms>', 'round-trip time instead of the profile’s', nonNegative('--rtt'))
    .option('--jitter <ms>', 'one-way jitter instead of the profile’s', nonNegative('--jitter'))
    .option('--down-kbps <n>', 'server→client cap per connection', nonNegative('--down-kbps'))
    .option('--up-kbps <n>', 'client→server cap per connection', nonNegative('--up-kbps'))
    .option(
      '--shared-down-kbps <n>',
      'server→client cap for all',
      nonNegative('--shared-down-kbps'),
    )
    .option('--shared-up-kbps <n>', 'client→server cap for all', nonNegative('--shared-up-kbps'))
    .option('--stats', 'print one JSON line of counters a second')
}

interface RelayFlags {
  upstream: { host: string; port: number }
  network: string
  host: string
  port: number
  rtt?: number
  jitter?: number
  downKbps?: number
  upKbps?: number
  sharedDownKbps?: number
  sharedUpKbps?: number
  stats?: boolean
}

/** The relay settings the flags ask for: the profile's, with each given flag in its place. */
export function linkOfFlags(flags: RelayFlags): LinkSettings {
  const kbps = (value: number | undefined): number | undefined =>
    value === undefined ? undefined : bytesPerSecond(value)
  const overrides: Partial<LinkSettings> = {}
  if (flags.rtt !== undefined) overrides.delayMs = flags.rtt / 2
  if (flags.jitter !== undefined) overrides.jitterMs = flags.jitter
  const caps = {
    downBytesPerS: kbps(flags.downKbps),
    upBytesPerS: kbps(flags.upKbps),
    sharedDownBytesPerS: kbps(flags.sharedDownKbps),
    sharedUpBytesPerS: kbps(flags.sharedUpKbps),
  }
  for (const [key, value] of Object.entries(caps)) {
    if (value !== undefined) overrides[key as keyof typeof caps] = value
  }
  return linkOf(profileOf(flags.network), overrides)
}

async function main(): Promise<void> {
  const flags = relayProgram().parse().opts<RelayFlags>()
  const link = linkOfFlags(flags)
  const relay = await LinkRelay.start({
    upstream: flags.upstream,
    host: flags.host,
    port: flags.port,
    link,
  })
  const { host, port } = flags.upstream
  console.log(
    `relay listening on ${relay.url} → ${host}:${String(port)} · ${flags.network}: ` +
      `${String(link.delayMs)} ms each way ± ${String(link.jitterMs)} ms, ` +
      `down ${String(kbitPerSecond(link.downBytesPerS))} kbit/s, up ${String(kbitPerSecond(link.upBytesPerS))} kbit/s (0 = no cap)`,
  )
  if (flags.stats === true) {
    setInterval(() => {
      const cpu = process.cpuUsage()
      const line: RelayStatsLine = {
        relay: { t: Date.now() / 1000, cpuMs: (cpu.user + cpu.system) / 1000, ...relay.stats() },
      }
      console.log(JSON.stringify(line))
    }, 1000).unref()
  }
  stopOnSignals(() => relay.close())
}

if (import.meta.main) await main()

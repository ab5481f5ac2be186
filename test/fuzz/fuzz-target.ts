/**
 * What the fuzzer runs against: a live server process with bystanders of the held
 * protocols connected, raw `net` connections for the generated input, and the four checks
 * after every batch — the process is alive, `/healthz` answers 200, no bystander has a
 * `seq` gap (and each still receives), server RSS within {@link RSS_BOUND_MIB} of where it
 * started — plus no answer 500 and no throw caught by the guard
 * (`realtime_handler_errors_total`).
 */
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { NGINX, startCluster } from '../../servers/cluster/cluster.ts'
import { redisAvailable } from '../../servers/cluster/redis-process.ts'
import { PROTOCOL_TABLE, PROTOCOLS, type Protocol } from '../../servers/transports/protocols.ts'
import { openClient, type FeedClient } from '../conformance/feed-clients.ts'
import { rssMiB } from '../../load/kit/process-sampler.ts'
import { startServerProcess } from '../../load/kit/server-process.ts'
import { feedSeqs } from '../faults/stream-checks.ts'
import { rawRead } from '../servers/raw-http.ts'

/** The bystanders: one client of every protocol that holds a stream or a request open. */
const PUSHED: readonly Protocol[] = PROTOCOLS.filter(
  (protocol) => PROTOCOL_TABLE[protocol].staleness === 'push',
)

/** How far server RSS may grow over its value after start-up, MiB. */
export const RSS_BOUND_MIB = 200

/** How long one connection's input is given to be answered before it is cut, ms. */
export const ANSWER_WAIT_MS = 150

/** What a check found: every invariant broken, in words, and whether a process is gone. */
export interface CheckResult {
  /** Empty when every invariant holds. */
  readonly problems: string[]
  /** A process exited or stopped answering: later batches can tell nothing apart. */
  readonly dead: boolean
}

/** One server under fuzz. */
export interface FuzzTarget {
  readonly name: string
  readonly port: number
  check(): Promise<CheckResult>
  /** Ends the bystanders and every process the target started. */
  stop(): Promise<void>
}

/** What came back on one connection. */
export interface RawReply {
  /** Every status line's code, in order. */
  readonly statuses: number[]
  readonly text: string
}

/** Writes `input` on a new connection and reads until it closes or `waitMs` passes. */
export async function sendRaw(
  port: number,
  input: string | Buffer,
  waitMs = ANSWER_WAIT_MS,
): Promise<RawReply> {
  const { text } = await rawRead(port, input, () => false, waitMs)
  return { statuses: [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1])), text }
}

/** The sum of `realtime_handler_errors_total` over its handlers, from /metrics. */
async function handlerErrors(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  let sum = 0
  for (const match of text.matchAll(/^realtime_handler_errors_total\{[^}]*\} (\d+)/gm)) {
    sum += Number(match[1])
  }
  return sum
}

/** Breaks in a bystander's stream: gaps or repeats, as `a→b`. */
function gaps(client: FeedClient): string[] {
  const seqs = feedSeqs(client.messages)
  return seqs.flatMap((seq, i) =>
    i > 0 && seq !== (seqs[i - 1] ?? 0) + 1 ? [`${String(seqs[i - 1])}→${String(seq)}`] : [],
  )
}

/** A process behind the input: checked for life, RSS, and what its guard caught. */
interface Watched {
  readonly name: string
  readonly child: ChildProcess
  /** Its own URL, for /metrics (the guard's counter). */
  readonly url: string
}

/** Follows one process: its output tail, the guard's log lines, its RSS at start. */
function watch(process: Watched): {
  check(): Promise<CheckResult>
} {
  const pid = process.child.pid ?? 0
  const rssStart = rssMiB(pid)
  // The guard's count at the last check: a batch fails on what it added.
  let caught = 0
  // What the guard logged (first line of each), to name the handler and the error.
  const guardLines: string[] = []
  let pending = ''
  let tail = ''
  const onOutput = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-1500)
    pending += chunk.toString()
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines)
      // The server logs JSON lines; the guard's carry `"code":"internal"` and its message.
      if (line.includes('"msg":"handler threw')) guardLines.push(line.slice(0, 300))
  }
  process.child.stdout?.on('data', onOutput)
  process.child.stderr?.on('data', onOutput)
  return {
    async check() {
      const { name, child } = process
      if (child.exitCode !== null || child.signalCode !== null) {
        const problem = `${name}: the process exited (${String(child.exitCode ?? child.signalCode)}); its output ends:\n${tail}`
        return { problems: [problem], dead: true }
      }
      const broken: string[] = []
      const rss = rssMiB(pid)
      if (rss - rssStart > RSS_BOUND_MIB) {
        broken.push(
          `${name}: RSS ${rssStart.toFixed(0)} → ${rss.toFixed(0)} MiB, over the ${String(RSS_BOUND_MIB)} MiB bound`,
        )
      }
      try {
        const errors = await handlerErrors(process.url)
        if (errors > caught) {
          broken.push(
            `${name}: the guard caught ${String(errors - caught)} throw(s) (realtime_handler_errors_total): ${guardLines.splice(0).join(' | ')}`,
          )
        }
        caught = errors
      } catch (error) {
        broken.push(
          `${name}: /metrics did not answer (${String(error)}); its output ends:\n${tail}`,
        )
        return { problems: broken, dead: true }
      }
      return { problems: broken, dead: false }
    },
  }
}

/**
 * A target: input and bystanders go to `front` (a server, or nginx before a cluster); every
 * process in `processes` is watched.
 */
async function makeTarget(
  name: string,
  front: { readonly url: string; readonly port: number },
  processes: readonly Watched[],
  held: readonly Protocol[],
  strictSeq: boolean,
  stop: () => Promise<void>,
): Promise<FuzzTarget> {
  const bystanders = await Promise.all(held.map((protocol) => openClient(protocol, front.url)))
  const watched = processes.map(watch)
  const received = new Map(bystanders.map((client) => [client, client.messages.length]))
  return {
    name,
    port: front.port,
    async check() {
      const broken: string[] = []
      let dead = false
      for (const process of watched) {
        const result = await process.check()
        broken.push(...result.problems)
        dead ||= result.dead
      }
      if (dead) return { problems: broken, dead }
      try {
        const health = await fetch(`${front.url}/healthz`)
        if (health.status !== 200)
          broken.push(`${name}: /healthz answered ${String(health.status)}`)
        await health.body?.cancel()
      } catch (error) {
        broken.push(`${name}: /healthz did not answer (${String(error)})`)
        return { problems: broken, dead: true }
      }
      for (const client of bystanders) {
        if (strictSeq) {
          const breaks = gaps(client)
          if (breaks.length > 0)
            broken.push(`${name}: ${client.protocol} bystander seq breaks ${breaks.join(', ')}`)
        } else {
          const seqs = feedSeqs(client.messages)
          if (seqs.some((seq, i) => i > 0 && seq <= (seqs[i - 1] ?? 0))) {
            broken.push(`${name}: ${client.protocol} bystander seq went back`)
          }
        }
        const before = received.get(client) ?? 0
        if (client.messages.length === before) {
          // Nothing since the last check: give it a frame's time before calling it stalled.
          try {
            await client.waitFor(() => true, 1000, before)
          } catch {
            broken.push(`${name}: ${client.protocol} bystander received nothing`)
          }
        }
        received.set(client, client.messages.length)
      }
      return { problems: broken, dead: false }
    },
    async stop() {
      for (const client of bystanders) client.kill()
      await stop()
    },
  }
}

/** The reference server (`npm start`, labs included) with WebSocket, SSE and long-poll bystanders. */
export async function startReferenceTarget(args: readonly string[] = []): Promise<FuzzTarget> {
  const server = await startServerProcess({ args: ['--rate', '20', ...args] })
  return makeTarget(
    'reference',
    server,
    [{ name: 'reference', child: server.child, url: server.url }],
    PUSHED,
    true,
    () => {
      server.child.kill('SIGKILL')
      return Promise.resolve()
    },
  )
}

/** The seeds' naive server with WebSocket and long-poll bystanders (its seqs may skip). */
export async function startBaselineTarget(): Promise<FuzzTarget> {
  const server = await startServerProcess({ design: 'baseline' })
  return makeTarget(
    'baseline',
    server,
    [{ name: 'baseline', child: server.child, url: server.url }],
    ['websocket', 'long-poll'],
    false,
    () => {
      server.child.kill('SIGKILL')
      return Promise.resolve()
    },
  )
}

/** Why the cluster cannot be fuzzed here, or null when redis-server and nginx are present. */
export function clusterMissing(): string | null {
  if (!redisAvailable()) return 'redis-server is not installed'
  if (!existsSync(NGINX)) return 'nginx is not installed'
  return null
}

/**
 * The `npm run cluster` topology: nginx before two fan-out instances on the Redis bus, with
 * WebSocket, SSE and long-poll bystanders through nginx; each instance is watched.
 */
export async function startClusterTarget(): Promise<FuzzTarget> {
  const cluster = await startCluster({ instances: 2, port: 0, rate: 20 })
  return makeTarget(
    'cluster',
    { url: cluster.url, port: Number(new URL(cluster.url).port) },
    [
      ...cluster.instances.map((instance, index) => ({
        name: `cluster instance ${String(index + 1)}`,
        child: instance.child.process,
        url: instance.url,
      })),
    ],
    PUSHED,
    true,
    () => cluster.stop(),
  )
}

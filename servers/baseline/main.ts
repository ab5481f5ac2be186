/**
 * The seeds' naive server, kept only as the comparison peer of the reference server:
 * same endpoints, same wire format, but a timer and a serialization per connection.
 *
 * `node servers/baseline/main.ts --port 8090 --protocols websocket,sse`
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { Command, InvalidArgumentError } from 'commander'
import { PROTOCOLS, type Protocol } from '../transports/protocols.ts'
import { writeFaultReply } from '../http/errors.ts'
import { answerClientError, HandlerGuard } from '../http/handler-guard.ts'
import { parseTarget } from '../http/request-target.ts'
import { stopOnSignals } from '../http/stop-on-signals.ts'
import { admitUpgrade } from '../http/upgrade-router.ts'
import { createNaiveFeed, NAIVE_FEED_DEFAULTS } from './naive-feed.ts'
import { createNaiveMetrics } from './naive-metrics.ts'
import { NaivePolls } from './naive-polls.ts'
import { NaiveSse } from './naive-sse.ts'
import { NaiveWebSocket } from './naive-websocket.ts'

/** Options of {@link startBaselineServer}. */
export interface BaselineServerOptions {
  /** TCP port; 0 picks a free one. Default 0. */
  port?: number
  /** Default `127.0.0.1`. */
  host?: string
  /** Protocols to serve; the others answer 404. Default: all four. */
  protocols?: readonly Protocol[]
  /** Frames per second. Default 10. */
  rateHz?: number
}

/** A running baseline server. */
export interface RunningBaselineServer {
  url: string
  port: number
  close(): Promise<void>
}

/** Starts the naive server and resolves once it listens. */
export async function startBaselineServer(
  options: BaselineServerOptions = {},
): Promise<RunningBaselineServer> {
  const protocols = new Set<Protocol>(options.protocols ?? PROTOCOLS)
  const feed = createNaiveFeed({ rateHz: options.rateHz ?? NAIVE_FEED_DEFAULTS.rateHz })
  const metrics = createNaiveMetrics(feed)
  const guard = new HandlerGuard(metrics.registry)
  const ws = new NaiveWebSocket(feed, metrics, guard)
  const sse = new NaiveSse(feed, metrics)
  const polls = new NaivePolls(feed, metrics)

  const notFound = (res: import('node:http').ServerResponse, what: string): void => {
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ type: 'error', code: 'not-found', message: what }))
  }

  const server: Server = createServer(
    guard.request('baseline request', (req, res) => {
      const target = parseTarget(req.url)
      if (!target.ok) {
        writeFaultReply(res, target.fault)
        return
      }
      const { pathname, query } = target.value
      const params = new URLSearchParams(query)
      if (req.method !== 'GET') {
        res.writeHead(405, { 'content-type': 'application/json', allow: 'GET' })
        res.end(
          JSON.stringify({
            type: 'error',
            code: 'method',
            message: 'the baseline serves GET only',
          }),
        )
        return
      }
      switch (pathname) {
        case '/healthz':
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end(JSON.stringify({ status: 'ok', design: 'baseline', seq: feed.currentSeq() }))
          return
        case '/metrics':
          metrics.registry.metrics().then(
            (text) => {
              res.writeHead(200, { 'content-type': metrics.registry.contentType })
              res.end(text)
            },
            (error: unknown) => {
              res.writeHead(500)
              res.end(String(error))
            },
          )
          return
        case '/sse':
          if (protocols.has('sse')) sse.handle(req, res, params)
          else notFound(res, 'sse is not served by this process')
          return
        case '/poll/long':
          if (protocols.has('long-poll')) polls.long(res, params)
          else notFound(res, 'long-poll is not served by this process')
          return
        case '/poll/short':
          if (protocols.has('short-poll')) polls.short(res, params)
          else notFound(res, 'short-poll is not served by this process')
          return
        default:
          notFound(res, `no route ${pathname.slice(0, 100)}`)
      }
    }),
  )
  server.on(
    'upgrade',
    guard.upgrade('baseline upgrade', (req, socket, head) => {
      const target = admitUpgrade(req, socket)
      if (target === null) return
      if (target.pathname === '/ws' && protocols.has('websocket')) {
        ws.upgrade(req, socket, head, new URLSearchParams(target.query))
        return
      }
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n')
    }),
  )
  server.on(
    'clientError',
    guard.callback('baseline clientError', answerClientError, (_error, _failure, socket) => {
      socket.destroy()
    }),
  )
  // Thousands of clients on one machine: do not let the default backlog refuse them.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(
      { port: options.port ?? 0, host: options.host ?? '127.0.0.1', backlog: 4096 },
      () => {
        resolve()
      },
    )
  })
  const { port } = server.address() as AddressInfo
  const host = options.host ?? '127.0.0.1'
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        ws.close()
        sse.close()
        polls.close()
        server.closeAllConnections()
        server.close(() => {
          resolve()
        })
      }),
  }
}

function parseProtocols(value: string): Protocol[] {
  const names = value.split(',').map((name) => name.trim())
  for (const name of names) {
    if (!(PROTOCOLS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown protocol "${name}"; use ${PROTOCOLS.join(', ')}`)
    }
  }
  return names as Protocol[]
}

function parsePositive(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a number ≥ 0, got "${value}"`)
  return n
}

async function main(argv: readonly string[]): Promise<void> {
  const program = new Command('baseline')
    .description("The seeds' naive per-connection-timer server, the bench's comparison peer")
    .option('--port <port>', 'TCP port (0 = any free port)', parsePositive, 8090)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--protocols <list>', 'comma-separated protocols to serve', parseProtocols, [
      ...PROTOCOLS,
    ])
    .option('--rate <hz>', 'frames per second', parsePositive, NAIVE_FEED_DEFAULTS.rateHz)
    .parse(argv)
  const opts = program.opts<{ port: number; host: string; protocols: Protocol[]; rate: number }>()
  const running = await startBaselineServer({
    port: opts.port,
    host: opts.host,
    protocols: opts.protocols,
    rateHz: opts.rate,
  })
  process.stdout.write(`baseline listening on ${running.url} (${opts.protocols.join(', ')})\n`)
  stopOnSignals(() => running.close())
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv).catch((error: unknown) => {
    process.stderr.write(`baseline: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  })
}

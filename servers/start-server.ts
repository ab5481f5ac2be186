/**
 * Compose one server: the feed, the transports chosen by name from the registry, the
 * express app, the shared HTTP server. Tests and the bench call this directly.
 */
import { createServer, type RequestListener, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { registerBusMetric, withBusHealth } from './bus/bus-health.ts'
import { StreamFeed } from './bus/stream-feed.ts'
import { Feed } from './feed/feed.ts'
import type { Protocol } from './transports/protocols.ts'
import { ControlSessions } from './transports/control-sessions.ts'
import { TRANSPORTS } from './transports/registry.ts'
import type { CloseReason, Transport } from './transports/transport.ts'
import { createLabs, LABS_PATH } from './labs/index.ts'
import { AccessGuard } from './http/access-guard.ts'
import { answerClientError, HandlerGuard } from './http/handler-guard.ts'
import type { ServerLog } from './http/log.ts'
import { createApp } from './http/app.ts'
import { PlainRoutes } from './http/plain-routes.ts'
import { ServerMetrics } from './http/metrics.ts'
import { SERVER_DEFAULTS, type ServerOptions } from './http/options.ts'
import { UpgradeRouter } from './http/upgrade-router.ts'

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080` (`https://` with `tls`; no trailing slash). */
  url: string
  /** The port actually bound (useful with `port: 0`). */
  port: number
  /** The feed, for tests that need its epoch or seq. */
  feed: Feed
  /** The options in effect. */
  options: Readonly<Omit<ServerOptions, 'epoch'>>
  /**
   * Close every client, then the server: `shutdown` (default; WebSocket 1001) or `restart`
   * (WebSocket 1012 "service restart", SSE told to retry); SSE streams end and pending long
   * polls are answered either way.
   */
  close(reason?: CloseReason): Promise<void>
}

/** Start a server with `options` over {@link SERVER_DEFAULTS}. */
export async function startServer(
  options: Partial<ServerOptions> & { readonly log?: ServerLog } = {},
): Promise<RunningServer> {
  const settings = { ...SERVER_DEFAULTS, ...options }
  const feed = await openFeed(settings, options.epoch)
  const busStatus = () =>
    feed instanceof StreamFeed ? feed.status() : ({ kind: 'memory', up: true } as const)
  const sessions = new ControlSessions()
  const transports = transportsOf(settings.protocols)
  const clientCounts = (): [Protocol, number][] =>
    transports.map((transport) => [transport.name, transport.clientCount])
  const metrics = new ServerMetrics(clientCounts, () => feed.seq)
  const guard = new HandlerGuard(metrics.registry, options.log)
  const access = new AccessGuard(settings, guard)
  const labs = createLabs({ originPolicy: access.originPolicy, guard })
  const { app, transportRouter } = createApp({
    mounts: [{ path: LABS_PATH, router: labs.router }],
    feed,
    metrics,
    sessions,
    maxPayload: settings.maxPayload,
    guard,
    serveSite: settings.serveSite,
    liveLinks: settings.liveLinks,
    clientCounts: () => Object.fromEntries(clientCounts()),
  })
  registerBusMetric(metrics.registry, busStatus)
  const plainRoutes = new PlainRoutes(transportRouter, guard)
  const handler: RequestListener = guard.request(
    'request',
    access.wrap(
      plainRoutes.listener(
        feed instanceof StreamFeed
          ? withBusHealth(app, busStatus, () => ({
              epoch: feed.epoch,
              seq: feed.seq,
              clients: Object.fromEntries(clientCounts()),
            }))
          : app,
      ),
    ),
  )
  // Slowloris bounds. requestTimeout covers receiving the request only, so a long poll or a
  // stream held after its request arrived is not cut; the check runs a few times per bound.
  const timeouts = {
    headersTimeout: settings.headersTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(
      100,
      Math.min(
        30_000,
        Math.floor(Math.min(settings.headersTimeoutMs, settings.requestTimeoutMs) / 4),
      ),
    ),
  }
  const server: Server =
    settings.tls === null
      ? createServer(timeouts, handler)
      : createHttpsServer({ ...timeouts, cert: settings.tls.cert, key: settings.tls.key }, handler)
  server.keepAliveTimeout = 65_000
  // One 'upgrade' listener owns the dispatch: transports claim exact paths, labs the rest.
  const upgrades = new UpgradeRouter()
  server.on('upgrade', guard.upgrade('upgrade', upgrades.listener))
  server.on(
    'clientError',
    guard.callback('clientError', answerClientError, (_error, _failure, socket) => {
      socket.destroy()
    }),
  )
  upgrades.claim((request, socket, head) => labs.handleUpgrade(request, socket, head))
  for (const transport of transports) {
    transport.attach({
      server,
      upgrades,
      router: transportRouter,
      plainRoutes,
      feed,
      metrics,
      sessions,
      access,
      guard,
      options: settings,
    })
  }
  const unsubscribe = broadcastTicks(feed, transports, guard.log)
  await listen(server, settings)
  feed.start()
  const port = (server.address() as AddressInfo).port
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host
  let closing: Promise<void> | undefined
  return {
    url: `${settings.tls === null ? 'http' : 'https'}://${host}:${port}`,
    port,
    feed,
    options: settings,
    close(reason: CloseReason = 'shutdown') {
      closing ??= (async () => {
        feed.stop()
        unsubscribe()
        await Promise.all([...transports.map((transport) => transport.close(reason)), labs.close()])
        if (feed instanceof StreamFeed) await feed.close()
        const closed = new Promise<void>((resolve) =>
          server.close(() => {
            resolve()
          }),
        )
        server.closeIdleConnections()
        // Whatever is still open after a grace period is cut.
        const grace = setTimeout(() => {
          server.closeAllConnections()
        }, 1000)
        await closed
        clearTimeout(grace)
      })()
      return closing
    },
  }
}

/** The in-process feed, or one read from the Redis bus when `settings.bus` is given. */
async function openFeed(settings: ServerOptions, epoch: string | undefined): Promise<Feed> {
  if (settings.bus === undefined)
    return new Feed({ ...settings, ...(epoch === undefined ? {} : { epoch }) })
  return StreamFeed.connect({
    url: settings.bus,
    history: settings.history,
    rate: settings.rate,
    ...(settings.busPrefix === undefined ? {} : { prefix: settings.busPrefix }),
  })
}

/** One transport per protocol named, from the registry; an unknown name is a programming error. */
function transportsOf(protocols: readonly string[]): Transport[] {
  return [...new Set(protocols)].map((protocol) => {
    const make = (TRANSPORTS as Partial<Record<string, () => Transport>>)[protocol]
    if (make === undefined) {
      throw new TypeError(
        `startServer: unknown protocol ${JSON.stringify(protocol)}; use ${Object.keys(TRANSPORTS).join(', ')}`,
      )
    }
    return make()
  })
}

/** Hands every tick to every transport; returns the unsubscribe function. */
function broadcastTicks(feed: Feed, transports: readonly Transport[], log: ServerLog): () => void {
  return feed.onTick((tick) => {
    for (const transport of transports) {
      // A bug in one transport must neither stop the ticker nor starve the others.
      try {
        transport.broadcast(tick)
      } catch (error) {
        log.error(
          { handler: `${transport.name} broadcast`, code: 'internal', seq: tick.seq, err: error },
          'broadcast failed: the other transports go on',
        )
      }
    }
  })
}

/** Listens on the configured host and port, with a backlog for thousands of connects. */
async function listen(server: Server, settings: ServerOptions): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    // Thousands of clients connect within seconds: Node's default backlog (511) overflows
    // and the rest wait for SYN retries, seconds each. The kernel caps it at somaxconn.
    server.listen({ port: settings.port, host: settings.host, backlog: 4096 }, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/**
 * Server options and their defaults, in one frozen object; each default is stated in
 * its doc comment and in `servers/README.md`.
 */
import type { FeedEncoding } from '../feed/binary-layout.ts'
import { PROTOCOLS, type Protocol } from '../transports/protocols.ts'
import type { AuthOptions } from './auth.ts'

/** Everything {@link startServer} accepts. */
export interface ServerOptions {
  /** TCP port; 0 picks a free one. Default 8080 (or `PORT`). */
  port: number
  /** Interface to listen on. Default `127.0.0.1`. */
  host: string
  /** Protocols served. Default all four. */
  protocols: readonly Protocol[]
  /** Feed ticks per second. Default 10 (the seeds' 100 ms interval). */
  rate: number
  /** Bouncing sprites. Default 5. */
  sprites: number
  /** Scored events (`EVENT#00`…). Default 5. */
  events: number
  /** Filler bytes per frame, for size studies. Default 0. */
  pad: number
  /** Frames of history kept for resume. Default 600 (60 s at 10 Hz). */
  history: number
  /** PRNG seed. Default 1. */
  seed: number
  /** Enable WebSocket permessage-deflate. Default false. */
  deflate: boolean
  /**
   * How frames and snapshots go on the wire: `json` text, or `binary` (the layout of
   * `feed/binary-layout.ts`: binary WebSocket messages, base64 in SSE `data:`). Polls
   * always answer JSON. Default `json`.
   */
  encoding: FeedEncoding
  /** Unsent bytes after which a client is closed as slow. Default 1 MiB. */
  maxBufferedBytes: number
  /** WebSocket ping / SSE comment interval, ms. Default 15000. */
  heartbeatMs: number
  /** Largest WebSocket message or POST body, bytes. Default 64 KiB. */
  maxPayload: number
  /** Long-poll wait when the query names none, s. Default 25. */
  longPollWaitS: number
  /** Poll sessions not seen for this long are forgotten, ms. Default 60000. */
  pollSessionIdleMs: number
  /**
   * Live poll sessions (`session=new`) per client address and poll transport; more get 429
   * `too-many-sessions` until one is forgotten. 0 = unlimited. Default 100.
   */
  maxPollSessionsPerIp: number
  /**
   * Origins allowed to open a WebSocket (exact `scheme://host:port`); a request whose
   * `Origin` is not listed is refused with 403. Default null: any origin (the lab runs on
   * 127.0.0.1; set it when the server is reachable from other sites' pages). Applies to
   * `/ws`, `/sse`, `/poll/*`, the `/api/*` POSTs and the labs.
   */
  allowedOrigins: readonly string[] | null
  /**
   * JWT verification (see `auth.ts`: `authFromSecret`, `authFromPublicKey`); every entry
   * point then needs a token. Default null: no authentication.
   */
  auth: AuthOptions | null
  /** Open WebSocket, SSE and long-poll connections per client address; 0 = unlimited. Default 0. */
  maxConnectionsPerIp: number
  /** Messages a WebSocket client may send per second (burst as many); 0 = unlimited. Default 0. */
  maxMessagesPerS: number
  /** Poll requests per client address per second (burst as many); 0 = unlimited. Default 0. */
  maxPollsPerS: number
  /** Read the client address from `X-Forwarded-For` (last entry). Default false. */
  trustProxy: boolean
  /** Time allowed to receive a request's headers, ms (slowloris bound). Default 10000. */
  headersTimeoutMs: number
  /**
   * Time allowed to receive a whole request, ms. It bounds slow uploads only: a long poll
   * or stream held after its request arrived is not cut by it. Default 30000.
   */
  requestTimeoutMs: number
  /** PEM certificate and key: serve https and wss on the same port. Default null: plain HTTP. */
  tls: { cert: string; key: string } | null
  /** Serve `site/dist` at `/` when it exists. Default true. */
  serveSite: boolean
  /**
   * Emulated links in front of this server (`serve --live-networks 4g,3g`), after the
   * server's own address (`loopback`), listed at `GET /api/links` for the live page's
   * network selector. Default none.
   */
  liveLinks: readonly LiveLink[]
  /** History epoch; random when omitted (tests pin it). Ignored with `bus`: the epoch lives in Redis. */
  epoch?: string
  /**
   * Redis URL of the bus (`redis://127.0.0.1:6379`): frames are read from the stream a
   * ticker publishes (see `servers/bus`). Default none: the in-process feed (memory bus).
   */
  bus?: string
  /** Key prefix on the Redis bus. Default `realtime`. */
  busPrefix?: string
}

/** One emulated link in front of the server: a profile of load/network and where it listens. */
export interface LiveLink {
  /** The profile's name, e.g. `3g`. */
  readonly name: string
  /** The profile's one-line description. */
  readonly label: string
  /** Where a client crosses the link to this server, e.g. `http://127.0.0.1:8082`. */
  readonly url: string
}

/** The defaults of every option. */
export const SERVER_DEFAULTS: Readonly<Omit<ServerOptions, 'epoch'>> = Object.freeze({
  port: 8080,
  host: '127.0.0.1',
  protocols: PROTOCOLS,
  rate: 10,
  sprites: 5,
  events: 5,
  pad: 0,
  history: 600,
  seed: 1,
  deflate: false,
  encoding: 'json',
  maxBufferedBytes: 1024 * 1024,
  heartbeatMs: 15_000,
  maxPayload: 64 * 1024,
  longPollWaitS: 25,
  pollSessionIdleMs: 60_000,
  maxPollSessionsPerIp: 100,
  allowedOrigins: null,
  auth: null,
  maxConnectionsPerIp: 0,
  maxMessagesPerS: 0,
  maxPollsPerS: 0,
  trustProxy: false,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  tls: null,
  serveSite: true,
  liveLinks: [],
})

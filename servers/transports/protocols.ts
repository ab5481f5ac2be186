/**
 * The protocol table: one descriptor per protocol, the only list of protocols in the
 * project. The transport registry, the access guard, the bench, the load scenarios' index,
 * the report and site schemas, the conformance suite and the site's pages all derive from
 * it. A new transport is a new entry here; the compiler (every `Record<Protocol, …>`) and
 * the table's tests then name each place still missing.
 *
 * Pure data with no imports, so the k6-free tools and the browser bundle can read it.
 */

/** How a protocol's reader learns of a new frame. */
export type Staleness =
  /** The server sends the frame as soon as it exists (WebSocket, SSE, a waiting long poll). */
  | 'push'
  /** The client finds it at its next request: up to one poll interval late. */
  | 'interval'

/** Which limits of the access guard apply to a protocol's requests. */
export type GuardKind =
  /** A held stream: counted against the per-address connection limit. */
  | 'stream'
  /** A held request: a poll session and a connection while it waits. */
  | 'held-poll'
  /** A request answered at once: a poll session and the request rate. */
  | 'poll'

/** What one protocol is, for every part that lists protocols. */
export interface ProtocolDescriptor {
  /** The path it is served on. */
  readonly path: string
  /** How it is written in prose, banners and legends. */
  readonly label: string
  /** Its k6 scenario, relative to the repository root. */
  readonly scenario: string
  /** Whether a client reaches it through an HTTP Upgrade (its URLs are `ws:`/`wss:`). */
  readonly upgrade: boolean
  /** Whether a client holds one connection for the whole session (a stream). */
  readonly holdsConnection: boolean
  /** How late a reader sees a frame. */
  readonly staleness: Staleness
  /** The access guard's limits for its requests. */
  readonly guard: GuardKind
  /** Whether its frames follow the server's `--encoding` (polls always answer JSON). */
  readonly followsEncoding: boolean
  /** Its place in the fallback chain: 0 is tried first. */
  readonly fallbackRank: number
}

/** The table, in fallback order. */
export const PROTOCOL_TABLE = Object.freeze({
  websocket: {
    path: '/ws',
    label: 'WebSocket',
    scenario: 'load/scenarios/websocket.ts',
    upgrade: true,
    holdsConnection: true,
    staleness: 'push',
    guard: 'stream',
    followsEncoding: true,
    fallbackRank: 0,
  },
  sse: {
    path: '/sse',
    label: 'SSE',
    scenario: 'load/scenarios/sse.ts',
    upgrade: false,
    holdsConnection: true,
    staleness: 'push',
    guard: 'stream',
    followsEncoding: true,
    fallbackRank: 1,
  },
  'long-poll': {
    path: '/poll/long',
    label: 'long poll',
    scenario: 'load/scenarios/long-poll.ts',
    upgrade: false,
    holdsConnection: false,
    staleness: 'push',
    guard: 'held-poll',
    followsEncoding: false,
    fallbackRank: 2,
  },
  'short-poll': {
    path: '/poll/short',
    label: 'short poll',
    scenario: 'load/scenarios/short-poll.ts',
    upgrade: false,
    holdsConnection: false,
    staleness: 'interval',
    guard: 'poll',
    followsEncoding: false,
    fallbackRank: 3,
  },
} as const satisfies Readonly<Record<string, ProtocolDescriptor>>)

/** A protocol name, as used in URLs, metric tags, CLI flags and results files. */
export type Protocol = keyof typeof PROTOCOL_TABLE

/** Every protocol, in fallback order (a non-empty tuple, as schema enums want it). */
export const PROTOCOLS = Object.freeze(
  (Object.keys(PROTOCOL_TABLE) as Protocol[]).sort(
    (a, b) => PROTOCOL_TABLE[a].fallbackRank - PROTOCOL_TABLE[b].fallbackRank,
  ),
) as readonly [Protocol, ...Protocol[]]

/** The descriptor of `protocol`. */
export function protocolOf(protocol: Protocol): ProtocolDescriptor {
  return PROTOCOL_TABLE[protocol]
}

/** The protocol served on `path`, or undefined. */
export function protocolAtPath(path: string): Protocol | undefined {
  return PROTOCOLS.find((protocol) => PROTOCOL_TABLE[protocol].path === path)
}

/** Whether `name` is a protocol of the table. */
export function isProtocol(name: string): name is Protocol {
  return Object.hasOwn(PROTOCOL_TABLE, name)
}

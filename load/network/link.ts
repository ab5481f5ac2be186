/**
 * A link in front of a server under measurement, as a bench step sets it up: nothing for
 * loopback; a relay process for a profile's delay and caps; for a loss profile, also the
 * network namespace the server runs in. The relay measures itself, so that a step it limits
 * is invalid with its reason, as a saturated load generator makes a step invalid.
 */
import { createLossNamespace, lossUnavailable, type LossNamespace } from './loss-namespace.ts'
import { needsRelay, profileOf, type LinkProfile } from './profiles.ts'
import { startRelayProcess, type RelayProcess } from './relay-process.ts'

/**
 * When the relay, not the server, is the limit: its CPU (a single thread) near one core, or
 * its timers writing chunks so late on average that the added delay leaves the emulator's
 * accuracy budget — ±2 ms or ±5 % of the one-way delay, whichever is wider, what
 * `accuracy.test.ts` holds it to. (A feed tick reaches the relay as a burst of one frame per
 * connection; re-sending 1,000 of them takes it a few milliseconds, so the last of a burst
 * leave late: at 1,000 connections on 4g, 2.1 ms on average in one run.)
 */
export const LINK_LIMITS = Object.freeze({
  /** Mean relay CPU over the window, percent of one core. */
  relayCpuPercent: 85,
  /** Mean time a chunk may be written after its due time, ms: at least this… */
  meanLateMs: 2,
  /** …or this share of the link's one-way delay, whichever is more. */
  meanLateShareOfDelay: 0.05,
})

/** The mean lateness a link of `oneWayMs` tolerates, ms. */
export function lateBudgetMs(oneWayMs: number): number {
  return Math.max(LINK_LIMITS.meanLateMs, LINK_LIMITS.meanLateShareOfDelay * oneWayMs)
}

/**
 * The namespace a loss profile's server runs in, or null for a profile without loss.
 *
 * @throws Error naming the profile and why its loss cannot be made here.
 */
export function namespaceFor(profile: LinkProfile, tag?: string): LossNamespace | null {
  if (profile.lossPercent === 0) return null
  const why = lossUnavailable()
  if (why !== null) throw new Error(`network ${profile.name} drops packets in a namespace: ${why}`)
  return createLossNamespace(profile.lossPercent, tag)
}

/** A link set up for one server. */
export interface LinkUnderTest {
  readonly profile: LinkProfile
  /** The relay process; null on loopback. */
  readonly relay: RelayProcess | null
  /** The loss namespace the server runs in; null without loss. */
  readonly namespace: LossNamespace | null
  /** Where the load connects: the relay's URL. */
  readonly url: string
  stop(): Promise<void>
}

/** Where a server behind `network` must listen, and the namespace made for it. */
export interface ServerPlacement {
  readonly profile: LinkProfile
  readonly namespace: LossNamespace | null
  /** Listen address for the server (the namespace's veth end with loss). */
  readonly host: string
  /** The command the server runs under (`ip netns exec …` with loss). */
  readonly prefix: readonly string[]
}

/** Makes what the server needs before it starts (a namespace for a loss profile). */
export function placeServer(network: string, tag?: string): ServerPlacement {
  const profile = profileOf(network)
  const namespace = namespaceFor(profile, tag)
  return {
    profile,
    namespace,
    host: namespace?.serverHost ?? '127.0.0.1',
    prefix: namespace?.prefix ?? [],
  }
}

/**
 * Starts the relay in front of a server placed by {@link placeServer}.
 *
 * @throws Error when the relay does not start (the namespace is removed then).
 */
export async function startLink(
  placement: ServerPlacement,
  serverUrl: string,
): Promise<LinkUnderTest> {
  const { profile, namespace } = placement
  let relay: RelayProcess | null = null
  try {
    if (needsRelay(profile) || namespace !== null) {
      relay = await startRelayProcess({ upstream: serverUrl, network: profile.name })
    }
  } catch (error) {
    namespace?.close()
    throw error
  }
  return {
    profile,
    relay,
    namespace,
    url: relay?.url ?? serverUrl,
    stop: async () => {
      await relay?.stop()
      namespace?.close()
    },
  }
}

/** What the relay did over a step's window. */
export interface RelayWindow {
  /** Mean relay CPU, percent of one core (from /proc). */
  cpuPercent: number
  /** Chunks relayed per second, both directions. */
  chunksPerS: number
  /** Share of chunks written more than 2 ms after their due time, percent. */
  latePercent: number
  /** Mean time a chunk was written after its due time, ms. */
  meanLateMs: number
  /** The latest a chunk was written after its due time, ms (over the relay's life). */
  maxLateMs: number
}

/**
 * The relay's counters over `[from, to]` (Unix s) from its stats lines: the last line at or
 * before each end; null when the window holds fewer than two lines.
 */
export function relayWindow(
  lines: readonly {
    t: number
    chunks: number
    lateChunks: number
    lateMsSum: number
    maxLateMs: number
  }[],
  cpuPercent: number,
  from: number,
  to: number,
): RelayWindow | null {
  const at = (t: number) => lines.filter((line) => line.t <= t).at(-1)
  const first = at(from) ?? lines.find((line) => line.t <= to)
  const last = at(to)
  if (first === undefined || last === undefined || last.t <= first.t) return null
  const chunks = last.chunks - first.chunks
  return {
    cpuPercent,
    chunksPerS: chunks / (last.t - first.t),
    latePercent: chunks > 0 ? ((last.lateChunks - first.lateChunks) / chunks) * 100 : 0,
    meanLateMs: chunks > 0 ? (last.lateMsSum - first.lateMsSum) / chunks : 0,
    maxLateMs: last.maxLateMs,
  }
}

/**
 * Why the relay was the limit over a window of a link with one-way delay `oneWayMs`, one
 * reason each; empty when it was not.
 */
export function linkShortfalls(window: RelayWindow, oneWayMs: number): string[] {
  const reasons: string[] = []
  if (window.cpuPercent >= LINK_LIMITS.relayCpuPercent) {
    reasons.push(`link emulator CPU ${window.cpuPercent.toFixed(0)} % of one core`)
  }
  const budget = lateBudgetMs(oneWayMs)
  if (window.meanLateMs > budget) {
    reasons.push(
      `link emulator ${window.meanLateMs.toFixed(1)} ms late per chunk on average, over its ${budget.toFixed(1)} ms accuracy budget (${window.latePercent.toFixed(0)} % over 2 ms)`,
    )
  }
  return reasons
}

/**
 * The named links the lab measures over: one frozen table, every value with the source it
 * comes from. Lighthouse's simulated-throttling presets are the models (they give a pure
 * round-trip time and a throughput, which is what a packet-level relay applies; DevTools'
 * "latency" is a per-request figure with handshakes folded in, so it is not used as an
 * RTT). Neither tool models jitter or loss; where a profile has them, the source says so.
 */

/** One direction's or one link's figures. */
export interface LinkProfile {
  /** Name on the command line (`--network <name>`). */
  readonly name: string
  /** One line for a menu or a chart legend. */
  readonly label: string
  /** Round-trip time the relay adds, ms: half is added in each direction. */
  readonly rttMs: number
  /** Jitter, ms: each chunk's one-way delay varies uniformly by ± this much (order is kept). */
  readonly jitterMs: number
  /** Server-to-client bandwidth per connection, kbit/s (1 kbit = 1,000 bits); 0 = no cap. */
  readonly downKbps: number
  /** Client-to-server bandwidth per connection, kbit/s; 0 = no cap. */
  readonly upKbps: number
  /** Share of packets dropped in each direction, percent (needs a network namespace). */
  readonly lossPercent: number
  /** Where each figure comes from. */
  readonly source: string
}

/** The loopback of this machine: no relay at all. */
const LOOPBACK: LinkProfile = {
  name: 'loopback',
  label: 'loopback (no relay)',
  rttMs: 0,
  jitterMs: 0,
  downKbps: 0,
  upKbps: 0,
  lossPercent: 0,
  source: 'this machine: the client talks to the server directly, nothing is added',
}

/** Lighthouse `mobileSlow4G`, its default mobile throttling. */
const FOUR_G: LinkProfile = {
  name: '4g',
  label: '4G (Lighthouse slow 4G: 150 ms, 1.6 Mbit/s)',
  rttMs: 150,
  jitterMs: 0,
  downKbps: 1638.4,
  upKbps: 750,
  lossPercent: 0,
  source:
    'Lighthouse core/config/constants.js throttling.mobileSlow4G: rttMs 150, throughputKbps ' +
    '1.6 × 1024 = 1638.4, uploadThroughputKbps 750 (the bottom quarter of 4G, top of 3G)',
}

/** Every profile by name, in the order of a menu: fastest first. */
export const PROFILES: Readonly<Record<string, LinkProfile>> = Object.freeze(
  Object.fromEntries(
    [
      LOOPBACK,
      {
        name: 'lan',
        label: 'LAN (1 ms, 1 Gbit/s)',
        rttMs: 1,
        jitterMs: 0,
        downKbps: 1_000_000,
        upKbps: 1_000_000,
        lossPercent: 0,
        source:
          'one switched Gigabit Ethernet hop (IEEE 802.3ab, 1 Gbit/s); 1 ms is an upper ' +
          'bound on such a round trip. No Lighthouse preset: a LAN is what it calls "no throttling"',
      },
      {
        name: 'broadband',
        label: 'broadband (Lighthouse desktop: 40 ms, 10 Mbit/s)',
        rttMs: 40,
        jitterMs: 0,
        downKbps: 10_240,
        upKbps: 10_240,
        lossPercent: 0,
        source:
          'Lighthouse core/config/constants.js throttling.desktopDense4G, its desktop ' +
          'preset ("dense 4G 25th percentile", used as broadband): rttMs 40, ' +
          'throughputKbps 10 × 1024 = 10240 both ways',
      },
      FOUR_G,
      {
        name: '3g',
        label: '3G (Lighthouse regular 3G: 300 ms, 700 kbit/s)',
        rttMs: 300,
        jitterMs: 0,
        downKbps: 700,
        upKbps: 700,
        lossPercent: 0,
        source:
          'Lighthouse core/config/constants.js throttling.mobileRegular3G: rttMs 300, ' +
          'throughputKbps 700 both ways',
      },
      {
        ...FOUR_G,
        name: '4g-lossy',
        label: '4G with 1 % loss',
        lossPercent: 1,
        source:
          `${FOUR_G.source}; 1 % loss each way is the lab's own figure (Lighthouse and ` +
          'DevTools model no loss): a congested cell, where TCP retransmits now and then',
      },
      {
        ...FOUR_G,
        name: '4g-lossy-3',
        label: '4G with 3 % loss',
        lossPercent: 3,
        source:
          `${FOUR_G.source}; 3 % loss each way is the lab's own figure (Lighthouse and ` +
          'DevTools model no loss): a poor cell, where retransmission stalls are frequent',
      },
    ].map((profile) => [profile.name, Object.freeze(profile)]),
  ),
)

/** The profile names, fastest first. */
export const PROFILE_NAMES: readonly string[] = Object.freeze(Object.keys(PROFILES))

/** True when `name` is a profile in the table. */
export function isProfileName(name: string): boolean {
  return Object.hasOwn(PROFILES, name)
}

/** The profile called `name`; throws with the list of names when there is none. */
export function profileOf(name: string): LinkProfile {
  const profile = PROFILES[name]
  if (profile === undefined || !isProfileName(name)) {
    throw new Error(`unknown network profile "${name}": use one of ${PROFILE_NAMES.join(', ')}`)
  }
  return profile
}

/** True when the profile needs a relay (any delay or bandwidth cap). */
export function needsRelay(profile: LinkProfile): boolean {
  return profile.rttMs > 0 || profile.jitterMs > 0 || profile.downKbps > 0 || profile.upKbps > 0
}

/** Bytes per second of a kbit/s figure (0 stays 0: no cap). */
export function bytesPerSecond(kbps: number): number {
  return (kbps * 1000) / 8
}

/** The kbit/s of a bytes-per-second figure: {@link bytesPerSecond} the other way. */
export function kbitPerSecond(bytesPerS: number): number {
  return (bytesPerS * 8) / 1000
}

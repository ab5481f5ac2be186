/**
 * A run's steps over emulated links (`npm run bench -- --network 4g,3g,4g-lossy`), set side by
 * side by profile: latency, latency beyond the link's one-way delay (what the protocol adds
 * over the physical minimum) and the time to recover from a dropped connection, one line per
 * protocol against the profile. Loopback is the default variant's step at the same load.
 * Every figure is read from the run's steps; nothing here holds a measured number.
 */
import { networkOf, oneWayMs, type StepResult } from '../../../load/bench/report-schema.ts'
import { isProfileName, profileOf } from '../../../load/network/profiles.ts'
import type { Protocol } from '../../../servers/transports/protocols.ts'
import type { ChartLine, ChartSpec } from './chart-specs.ts'
import { pointsOf, protocolsIn } from './chart-specs.ts'
import { PROTOCOL_COLOURS, PROTOCOL_LABELS } from './labels.ts'
import type { RunEntry } from './results-loader.ts'

/** A step of the single-process, JSON-frame design over a link (the network ladders). */
const isNetworkStep = (step: StepResult): boolean =>
  networkOf(step) !== 'loopback' &&
  (step.topology ?? 'single') === 'single' &&
  (step.encoding ?? 'json') === 'json' &&
  step.design === 'reference'

/** The link profiles `run` measured, loopback first, then by round trip (then loss). */
export function networksIn(run: RunEntry): string[] {
  const names = [...new Set(run.variantSteps.filter(isNetworkStep).map(networkOf))].filter(
    isProfileName,
  )
  if (names.length === 0) return []
  const order = (name: string): [number, number] => {
    const profile = profileOf(name)
    return [profile.rttMs, profile.lossPercent]
  }
  names.sort((a, b) => {
    const [rttA, lossA] = order(a)
    const [rttB, lossB] = order(b)
    return rttA - rttB || lossA - lossB
  })
  return ['loopback', ...names]
}

/**
 * The load the network section shows: the largest connection count that every protocol of the
 * run measured over every link profile. Undefined when the run has no network steps.
 */
export function networkConnections(run: RunEntry): number | undefined {
  const networks = networksIn(run).filter((name) => name !== 'loopback')
  const protocols = protocolsIn(run)
  const counts = [
    ...new Set(run.variantSteps.filter(isNetworkStep).map((s) => s.connections)),
  ].sort((a, b) => b - a)
  return counts.find((count) =>
    networks.every((network) =>
      protocols.every((protocol) => networkStep(run, protocol, network, count) !== undefined),
    ),
  )
}

/** The step of `protocol` over `network` (loopback: the default variant's) at `connections`. */
export function networkStep(
  run: RunEntry,
  protocol: Protocol,
  network: string,
  connections: number,
): StepResult | undefined {
  const pool = network === 'loopback' ? run.steps : run.variantSteps.filter(isNetworkStep)
  return pool.find(
    (step) =>
      step.protocol === protocol &&
      step.design === 'reference' &&
      step.connections === connections &&
      networkOf(step) === network,
  )
}

/** One line per protocol, one point per profile. */
function byProfile(
  run: RunEntry,
  connections: number,
  id: string,
  title: string,
  yLabel: string,
  pick: (step: StepResult) => number | null,
): ChartSpec {
  const networks = networksIn(run)
  const lines: ChartLine[] = protocolsIn(run).map((protocol) => {
    const steps = networks.map((network) => networkStep(run, protocol, network, connections))
    return {
      label: PROTOCOL_LABELS[protocol],
      colour: PROTOCOL_COLOURS[protocol],
      ...pointsOf(steps, pick, 'not valid'),
    }
  })
  return {
    id,
    title,
    xLabel: 'network',
    yLabel,
    xLog: false,
    x: networks.map((_, index) => index),
    // The profile names themselves label the axis: `loopback`, `4g`, `3g`, `4g-lossy`.
    xLabels: networks,
    lines,
    shaded: [],
    yFromZero: true,
  }
}

/**
 * The network section's charts at `connections`: p95 latency with the link's one-way delay as a
 * dashed floor, p95 beyond that delay, and the median time to recover from a dropped connection.
 */
export function networkCharts(run: RunEntry, connections: number): ChartSpec[] {
  const latency = byProfile(
    run,
    connections,
    'network-latency',
    `p95 delivery latency by network, ${connections.toLocaleString('en-GB')} clients`,
    'ms',
    (step) => step.latencyMs.p95,
  )
  const networks = networksIn(run)
  latency.lines.push({
    label: 'link one-way delay',
    colour: '#9ca3af',
    dashed: true,
    values: networks.map((network) => (network === 'loopback' ? 0 : profileOf(network).rttMs / 2)),
  })
  return [
    latency,
    byProfile(
      run,
      connections,
      'network-over-one-way',
      `p95 latency beyond the link’s one-way delay: what each protocol adds, ${connections.toLocaleString('en-GB')} clients`,
      'ms',
      (step) => step.latencyMs.p95 - oneWayMs(step),
    ),
    byProfile(
      run,
      connections,
      'network-recovery',
      `Time to recover after a dropped connection (median), ${connections.toLocaleString('en-GB')} clients`,
      'ms',
      (step) => step.recoveryMs?.p50 ?? null,
    ),
  ]
}

/**
 * The measuring loop every server micro-benchmark shares: for each round, for the baseline
 * checkout and this one (order alternating per round, so drift on a shared machine hits
 * both), start the server, put a load on it, let it settle, then read the server's CPU
 * time and the load's work count over a fixed window. The result is CPU per unit of work
 * for each, and the ratio current / baseline of their medians.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname } from 'node:path'
import { format, resolveConfig } from 'prettier'
import { baseCheckout, currentRevision, DEFAULT_BASE_REF, REPO_ROOT } from './base-checkout.ts'
import { median } from '../../load/kit/percentile.ts'
import { startServerProcess, type ServerProcess } from '../../load/kit/server-process.ts'
import { flagNumber } from '../../load/kit/tool-args.ts'

/** A load put on one server: counts the work done so far, then closes. */
export interface Load {
  /** Units of work done so far (frames received, requests answered…). */
  done(): number
  /** Faults seen so far (errors, unexpected statuses, lost connections). */
  faults(): number
  close(): void
}

/** What one benchmark measures. */
export interface Benchmark {
  /** Name, also the default file name under `servers/perf/runs/`. */
  name: string
  /** What one unit of work is, e.g. "frame written". */
  unit: string
  /** `serve` flags for both servers. */
  serverArgs: readonly string[]
  /** Parameters recorded in the output as they were. */
  params: Record<string, unknown>
  /** Open the load against a started server; resolves once every client is connected. */
  open(server: ServerProcess): Promise<Load>
  /**
   * Work counted by the server itself (e.g. its frames-sent counter). When given, CPU is
   * divided by it, not by the load's count, which lags when the load process is starved.
   */
  serverCount?: (server: ServerProcess) => Promise<number>
}

/** How to run a benchmark. */
export interface MeasureOptions {
  baseRef: string
  rounds: number
  settleS: number
  windowS: number
  out: string
  cpuProfDir?: string | undefined
}

/** The flags every micro-benchmark takes (`parseArgs` options), with their defaults. */
export const MEASURE_FLAGS = {
  rate: { type: 'string', default: '10' },
  rounds: { type: 'string', default: '3' },
  settle: { type: 'string', default: '3' },
  window: { type: 'string', default: '10' },
  base: { type: 'string', default: DEFAULT_BASE_REF },
  out: { type: 'string' },
  'cpu-prof': { type: 'string' },
} as const

/** {@link MeasureOptions} from the parsed {@link MEASURE_FLAGS}; `out` defaults to `defaultOut`. */
export function measureOptions(
  values: {
    rounds: string
    settle: string
    window: string
    base: string
    out?: string | undefined
    'cpu-prof'?: string | undefined
  },
  defaultOut: string,
): MeasureOptions {
  return {
    baseRef: values.base,
    rounds: flagNumber('--rounds', values.rounds, { integer: true, min: 1 }),
    settleS: flagNumber('--settle', values.settle, { min: 0 }),
    windowS: flagNumber('--window', values.window, { above: 0 }),
    out: values.out ?? defaultOut,
    cpuProfDir: values['cpu-prof'],
  }
}

/** One measured window. */
export interface Sample {
  variant: 'base' | 'current'
  round: number
  windowS: number
  serverCpuS: number
  /** Work counted by the load in the window. */
  count: number
  /** Work counted by the server in the window, when it counts it (then the unit of CPU per unit). */
  serverCount: number | null
  faults: number
  /** Server CPU per unit of work, µs. */
  cpuUsPerUnit: number
  /** Server CPU over the window, percent of one core. */
  cpuPercent: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function measureOnce(
  benchmark: Benchmark,
  root: string,
  variant: Sample['variant'],
  round: number,
  options: MeasureOptions,
): Promise<Sample> {
  // SIGINT stops it: a graceful close that also writes the CPU profile.
  const server = await startServerProcess({
    root,
    args: benchmark.serverArgs,
    nodeArgs:
      options.cpuProfDir === undefined
        ? []
        : ['--cpu-prof', '--cpu-prof-dir', `${options.cpuProfDir}/${variant}`],
  })
  let load: Load | undefined
  try {
    load = await benchmark.open(server)
    await sleep(options.settleS * 1000)
    // The server's count is read first and its CPU right after, at both ends, so both
    // windows end where a scrape ends and cover the same ticks.
    const server0 = (await benchmark.serverCount?.(server)) ?? null
    const cpu0 = server.usage().cpuS
    const count0 = load.done()
    const faults0 = load.faults()
    const t0 = performance.now()
    await sleep(options.windowS * 1000)
    const server1 = (await benchmark.serverCount?.(server)) ?? null
    const cpu1 = server.usage().cpuS
    const count = load.done() - count0
    const windowS = (performance.now() - t0) / 1000
    const serverCpuS = cpu1 - cpu0
    const serverCount = server0 === null || server1 === null ? null : server1 - server0
    const units = serverCount ?? count
    const sample: Sample = {
      variant,
      round,
      windowS,
      serverCpuS,
      count,
      serverCount,
      faults: load.faults() - faults0,
      cpuUsPerUnit: units > 0 ? (serverCpuS / units) * 1e6 : NaN,
      cpuPercent: (serverCpuS / windowS) * 100,
    }
    process.stderr.write(
      `${benchmark.name} round ${round} ${variant.padEnd(7)} ${sample.cpuUsPerUnit.toFixed(2)} µs/${benchmark.unit} · ${sample.cpuPercent.toFixed(1)} % · ${units} in ${windowS.toFixed(1)} s (load counted ${count}) · faults ${sample.faults}\n`,
    )
    return sample
  } finally {
    load?.close()
    await server.stop('SIGINT')
  }
}

/** Run `benchmark` against the baseline and this checkout; write and return the result. */
export async function measure(benchmark: Benchmark, options: MeasureOptions) {
  const base = baseCheckout(options.baseRef)
  const started = new Date().toISOString()
  const loadAtStart = loadavg()
  const samples: Sample[] = []
  for (let round = 1; round <= options.rounds; round++) {
    const order: Sample['variant'][] = round % 2 === 1 ? ['base', 'current'] : ['current', 'base']
    for (const variant of order) {
      samples.push(
        await measureOnce(
          benchmark,
          variant === 'base' ? base.root : REPO_ROOT,
          variant,
          round,
          options,
        ),
      )
    }
  }
  const of = (variant: Sample['variant']) => samples.filter((s) => s.variant === variant)
  const summarize = (variant: Sample['variant']) => ({
    medianCpuUsPerUnit: median(of(variant).map((s) => s.cpuUsPerUnit)),
    medianCpuPercent: median(of(variant).map((s) => s.cpuPercent)),
    medianCountPerS: median(of(variant).map((s) => (s.serverCount ?? s.count) / s.windowS)),
    faults: of(variant).reduce((sum, s) => sum + s.faults, 0),
  })
  const baseSummary = summarize('base')
  const currentSummary = summarize('current')
  const result = {
    benchmark: benchmark.name,
    unit: benchmark.unit,
    started,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      loadavgAtStart: loadAtStart,
      loadavgAtEnd: loadavg(),
      node: process.version,
    },
    params: {
      ...benchmark.params,
      serverArgs: benchmark.serverArgs,
      rounds: options.rounds,
      settleS: options.settleS,
      windowS: options.windowS,
    },
    base: { ref: options.baseRef, sha: base.sha },
    current: { revision: currentRevision() },
    summary: {
      base: baseSummary,
      current: currentSummary,
      /** current / base CPU per unit of work: below 1 is cheaper. */
      ratio: currentSummary.medianCpuUsPerUnit / baseSummary.medianCpuUsPerUnit,
    },
    samples,
  }
  mkdirSync(dirname(options.out), { recursive: true })
  // Formatted as the repository's prettier check expects, so a fresh run file is committable.
  const config = (await resolveConfig(options.out)) ?? {}
  writeFileSync(
    options.out,
    await format(JSON.stringify(result, null, 2), { ...config, parser: 'json' }),
  )
  process.stderr.write(
    `${benchmark.name}: base ${baseSummary.medianCpuUsPerUnit.toFixed(2)} µs, current ${currentSummary.medianCpuUsPerUnit.toFixed(2)} µs per ${benchmark.unit} → ratio ${result.summary.ratio.toFixed(3)} (${options.out})\n`,
  )
  return result
}

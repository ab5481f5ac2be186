/**
 * `npm run bench`: the protocol comparison. For each protocol in turn, in isolation, run
 * its scenario at a ladder of connection counts against the reference server (and with
 * `--baseline` against the seeds' naive server), then write `results/<run-id>/` and print
 * the table. See load/bench/README.md.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Command, InvalidArgumentError, Option } from 'commander'
import { parseDuration } from '../lib/duration.ts'
import { FEED_ENCODINGS } from '../../servers/feed/binary-layout.ts'
import { PROTOCOL_TABLE, PROTOCOLS, type Protocol } from '../../servers/transports/protocols.ts'
import { BENCH_DEFAULTS, QUICK_PROFILE } from './defaults.ts'
import { effectiveBudgetMs, stopReason, summariseLadder } from './ladder.ts'
import { machineInfo, machineLabel, versionInfo } from './machine.ts'
import {
  REPORT_SCHEMA_VERSION,
  reportSchema,
  sameVariant,
  variantLabel,
  type LadderResult,
  type Report,
  type StepResult,
} from './report-schema.ts'
import { clusterUnavailable } from './server-under-test.ts'
import { lossUnavailable } from '../network/loss-namespace.ts'
import { isProfileName, PROFILE_NAMES, profileOf } from '../network/profiles.ts'
import { chooseEngine, K6Unusable, probeK6, type EngineChoice } from '../engine/k6-binary.ts'
import { LoadToolFailure, runStep, StepFailure, type EngineKind } from './step-runner.ts'
import {
  formatBaselineRatios,
  formatComparison,
  formatLadders,
  formatProgress,
  formatTable,
  formatOverLink,
  formatVariantRatios,
  DEFAULT_TABLE_WIDTH,
  type TableOptions,
} from './terminal-table.ts'

/** Repository root, two folders above this file. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Parsed command-line options. */
export interface BenchOptions {
  steps: number[]
  protocols: Protocol[]
  holdS: number
  rampS: number
  rateHz: number
  pollIntervalS: number
  budgetMs: number
  engine: 'auto' | EngineKind
  /** Protocols whose ladder also runs against the baseline; empty for none. */
  baseline: Protocol[]
  quick: boolean
  /** The ramp of a step follows its connections (up to `rampS`); false when `--ramp` is given. */
  rampFollowsStep: boolean
  /** Climb on past an invalid (generator-limited) step; by default the climb stops there. */
  full: boolean
  json: boolean
  /** Every column of the end table, whatever the terminal's width. */
  wide: boolean
  outDir: string | undefined
  label: string | undefined
  /** Profile every server process with `node --cpu-prof` (files in each step folder). */
  cpuProfile: boolean
  /** Engine processes per step, splitting the VUs by execution segment (default 1). */
  loadProcesses: number
  /** Fan-out instance counts to run every reference ladder on as well, behind nginx. */
  cluster: number[]
  /** Feed encodings to run every reference ladder with; empty leaves the server's default. */
  encodings: string[]
  /** Cross every topology with every encoding instead of varying one dimension at a time. */
  allVariants: boolean
  /** Link profiles (`load/network`) to run every reference ladder over besides loopback. */
  networks: string[]
  /** Connection counts of a ladder over a link. */
  networkSteps: number[]
  /** Measured window of a step over a link, seconds. */
  networkHoldS: number
}

/**
 * Parses a duration in k6's grammar (`30s`, `500ms`, `1m30s`, `2h`, or a bare number of
 * seconds) with the parser the scenarios and the engine use; returns seconds.
 */
export function parseSeconds(value: string): number {
  let ms: number
  try {
    ms = parseDuration(value)
  } catch {
    throw new InvalidArgumentError(
      `"${value}" is not a duration: write e.g. 30s, 500ms, 1m30s or 30 (k6's grammar)`,
    )
  }
  if (!(ms > 0)) throw new InvalidArgumentError(`duration must be positive, got "${value}"`)
  return ms / 1000
}

/** Parses `--steps 100,1000,…`: positive integers, in rising order. */
export function parseSteps(value: string): number[] {
  const steps = value.split(',').map((s) => Number(s.trim()))
  if (steps.length === 0 || steps.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError(
      `--steps takes positive integers separated by commas, got "${value}"`,
    )
  }
  if (steps.some((n, i) => i > 0 && n <= (steps[i - 1] ?? 0))) {
    throw new InvalidArgumentError(`--steps must rise, got "${value}"`)
  }
  return steps
}

/** Parses `--protocols websocket,sse`. */
export function parseProtocols(value: string): Protocol[] {
  const names = value.split(',').map((s) => s.trim())
  for (const name of names) {
    if (!(PROTOCOLS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown protocol "${name}"; use ${PROTOCOLS.join(', ')}`)
    }
  }
  return names as Protocol[]
}

/** Parses `--load-processes N`: a positive integer. */
export function parseProcessCount(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 16) {
    throw new InvalidArgumentError(`--load-processes takes an integer from 1 to 16, got "${value}"`)
  }
  return n
}

/** Parses `--cluster 2` or `--cluster 2,4`: fan-out instance counts. */
export function parseCluster(value: string): number[] {
  const counts = value.split(',').map((s) => Number(s.trim()))
  if (counts.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) {
    throw new InvalidArgumentError(
      `--cluster takes instance counts from 1 to 64, comma-separated, got "${value}"`,
    )
  }
  return [...new Set(counts)]
}

/** Parses `--encodings json,binary`. */
export function parseEncodings(value: string): string[] {
  const names = value.split(',').map((s) => s.trim())
  for (const name of names) {
    if (!(FEED_ENCODINGS as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(`unknown encoding "${name}"; use ${FEED_ENCODINGS.join(', ')}`)
    }
  }
  return [...new Set(names)]
}

/**
 * Parses `--network 4g,3g`: link profiles, in the order given, without `loopback` (every run
 * has it: it is the default variant); `none` runs loopback only.
 */
export function parseNetworks(value: string): string[] {
  if (value.trim() === 'none') return []
  const names = value.split(',').map((s) => s.trim())
  for (const name of names) {
    if (!isProfileName(name)) {
      throw new InvalidArgumentError(
        `unknown network profile "${name}"; use ${PROFILE_NAMES.join(', ')}`,
      )
    }
  }
  return [...new Set(names)].filter((name) => name !== 'loopback')
}

function parsePositive(value: string): number {
  const n = Number(value)
  if (!(n > 0)) throw new InvalidArgumentError(`expected a positive number, got "${value}"`)
  return n
}

/** Reads a run's report from its folder (or from a report.json path) and validates it. */
export function loadReport(path: string): Report {
  const file = path.endsWith('.json') ? path : join(path, 'report.json')
  if (!existsSync(file))
    throw new Error(`no report at ${file}: pass a run folder or its report.json`)
  const parsed = reportSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')))
  if (!parsed.success) {
    throw new Error(`${file} does not match the report schema:\n${parsed.error.message}`)
  }
  return parsed.data
}

function runIdNow(profile: string): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}-${profile}`
}

function prepareRunDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    // Only a previous bench run is replaced; any other non-empty folder is left alone.
    if (!existsSync(join(dir, 'run.json'))) {
      throw new Error(`${dir} is not empty and holds no run.json: choose another --out-dir`)
    }
    rmSync(dir, { recursive: true })
  }
  mkdirSync(dir, { recursive: true })
}

/** One ladder to run: a design and a variant. */
export interface LadderPlan {
  design: 'reference' | 'baseline'
  topology: string
  encoding: string | undefined
  /** A link profile; undefined is loopback. */
  network?: string | undefined
}

/** `single`, then `cluster-N` for every `--cluster` count. */
function topologyNames(cluster: readonly number[]): string[] {
  return ['single', ...cluster.map((n) => `cluster-${String(n)}`)]
}

/**
 * The ladders one protocol runs. The reference design runs the default variant — a single
 * process with the base encoding (`json` when listed, else the first) — then, one dimension
 * at a time, every other topology with the base encoding and every other encoding on a
 * single process; `allVariants` crosses every topology with every encoding instead. Polls
 * answer JSON whatever the server's encoding, so they run the base encoding only. Every
 * `--network` profile runs on a single process with the base encoding (a link sits in front
 * of one server). The baseline runs once: single, its own framing, loopback.
 */
export function planLadders(
  protocol: Protocol,
  options: Pick<BenchOptions, 'baseline' | 'cluster' | 'encodings' | 'allVariants'> &
    Partial<Pick<BenchOptions, 'networks'>>,
): LadderPlan[] {
  const topologies = topologyNames(options.cluster)
  // undefined: the server's default encoding, recorded as no encoding at all.
  const base: string | undefined = options.encodings.includes('json')
    ? 'json'
    : options.encodings[0]
  const encodings: (string | undefined)[] = !PROTOCOL_TABLE[protocol].followsEncoding
    ? [base]
    : options.encodings.length === 0
      ? [undefined]
      : options.encodings
  const pairs = options.allVariants
    ? topologies.flatMap((topology) => encodings.map((encoding) => ({ topology, encoding })))
    : [
        ...topologies.map((topology) => ({ topology, encoding: base })),
        ...encodings
          .filter((encoding) => encoding !== base)
          .map((encoding) => ({ topology: 'single', encoding })),
      ]
  const reference = [
    ...pairs.map((pair): LadderPlan => ({ design: 'reference', ...pair })),
    ...(options.networks ?? []).map((network): LadderPlan => ({
      design: 'reference',
      topology: 'single',
      encoding: base,
      network,
    })),
  ]
  return options.baseline.includes(protocol)
    ? [...reference, { design: 'baseline', topology: 'single', encoding: undefined }]
    : reference
}

/**
 * The load tool for each protocol's scenario, chosen before any server starts: `auto` takes k6
 * only for a scenario it can run as it is; `k6` throws a usage error naming what is missing.
 * Each distinct reason for passing k6 over is logged once, with the protocols it concerns.
 */
export function chooseEngines(
  options: Pick<BenchOptions, 'engine' | 'protocols' | 'loadProcesses'>,
  log: (line: string) => void,
  k6 = options.engine === 'builtin' ? undefined : probeK6(),
): Map<Protocol, EngineChoice> {
  if (options.loadProcesses > 1 && options.engine === 'k6') {
    throw new InvalidArgumentError(
      '--load-processes above 1 needs the built-in engine (--engine builtin): its raw samples keep merged percentiles exact',
    )
  }
  const choices = new Map<Protocol, EngineChoice>()
  const reasons = new Map<string, Protocol[]>()
  for (const protocol of options.protocols) {
    let choice: EngineChoice
    try {
      choice =
        options.loadProcesses > 1 && k6 !== undefined
          ? {
              engine: 'builtin',
              reason: '--load-processes above 1 needs the built-in engine: using it, not k6',
            }
          : chooseEngine(options.engine, join(REPO_ROOT, PROTOCOL_TABLE[protocol].scenario), k6)
    } catch (error) {
      if (error instanceof K6Unusable) throw new InvalidArgumentError(error.message)
      throw error
    }
    choices.set(protocol, choice)
    if (choice.engine === 'builtin' && choice.reason !== null)
      reasons.set(choice.reason, [...(reasons.get(choice.reason) ?? []), protocol])
  }
  for (const [reason, protocols] of reasons) log(`${protocols.join(', ')}: ${reason}`)
  return choices
}

/** `k6`, `builtin`, or `k6+builtin` when the protocols ran on both. */
function engineSummary(choices: ReadonlyMap<Protocol, EngineChoice>): string {
  const kinds = new Set([...choices.values()].map((c) => c.engine))
  return kinds.size === 1 ? ([...kinds][0] ?? 'builtin') : 'k6+builtin'
}

/**
 * The line a run with load-tool failures prints first: those ladders measured the instrument,
 * not the protocols. Null when the load tool never failed.
 */
export function loadToolProblem(report: Report): string | null {
  const failed = report.ladders.filter((l) => l.loadToolFailure !== undefined)
  const first = failed[0]
  if (first === undefined) return null
  const why = `the load tool failed: ${first.loadToolFailure ?? ''}`
  if (failed.length === report.ladders.length && report.steps.length === 0)
    return `every step failed because ${why}`
  const names = failed.map((l) => `${l.protocol} ${l.design} ${variantLabel(l)}`).join(', ')
  return `${names}: no figures, because ${why}`
}

/** A step's ramp, s: `--ramp` as given, or one second per thousand connections (2 s to `rampS`). */
export function stepRampS(
  options: Pick<BenchOptions, 'rampS' | 'rampFollowsStep'>,
  connections: number,
): number {
  if (!options.rampFollowsStep) return options.rampS
  const followed = Math.ceil(connections / BENCH_DEFAULTS.rampConnectionsPerS)
  return Math.min(options.rampS, Math.max(BENCH_DEFAULTS.minRampS, followed))
}

/** The steps and the hold of a ladder: a ladder over a link has its own. */
export function ladderShape(
  options: Pick<BenchOptions, 'steps' | 'holdS' | 'networkSteps' | 'networkHoldS'>,
  plan: Pick<LadderPlan, 'network'>,
): { steps: readonly number[]; holdS: number } {
  return plan.network === undefined
    ? { steps: options.steps, holdS: options.holdS }
    : { steps: options.networkSteps, holdS: options.networkHoldS }
}

/** The longest the run can take, s: every ladder climbing every step (most stop earlier). */
export function estimateRunS(
  options: Pick<
    BenchOptions,
    'steps' | 'holdS' | 'rampS' | 'rampFollowsStep' | 'networkSteps' | 'networkHoldS'
  >,
  ladders: readonly Pick<LadderPlan, 'network'>[],
): number {
  return ladders.reduce((total, plan) => {
    const { steps, holdS } = ladderShape(options, plan)
    return (
      total +
      steps.reduce(
        (sum, connections) =>
          sum + stepRampS(options, connections) + holdS + BENCH_DEFAULTS.stepOverheadS,
        0,
      )
    )
  }, 0)
}

/**
 * The `--network` profiles this machine can run: a loss profile needs a network namespace
 * (root, `ip`, `nft`); where there is none it is skipped with a one-line reason.
 */
function networksHere(networks: readonly string[], log: (line: string) => void): string[] {
  const unavailable = lossUnavailable()
  return networks.filter((name) => {
    if (profileOf(name).lossPercent === 0 || unavailable === null) return true
    log(`--network ${name}: skipped: its loss needs a network namespace, and ${unavailable}`)
    return false
  })
}

/** Runs the whole bench; returns the report (already written) and the exit code. */
export async function runBench(
  requested: BenchOptions,
  log: (line: string, live?: boolean) => void,
): Promise<{ report: Report; runDir: string; exitCode: number }> {
  const options = { ...requested, networks: networksHere(requested.networks, log) }
  const profile = options.quick
    ? 'quick'
    : options.steps.join() === BENCH_DEFAULTS.steps.join() &&
        options.holdS === BENCH_DEFAULTS.holdS &&
        requested.networks.join() === BENCH_DEFAULTS.networks.join() &&
        options.rampS === BENCH_DEFAULTS.rampS
      ? 'full'
      : 'custom'
  // One `k6 version` for the engine choice and for run.json's record of versions.
  const k6 = probeK6()
  const engines = chooseEngines(
    options,
    (line) => {
      log(line)
    },
    options.engine === 'builtin' ? undefined : k6,
  )
  const engine = engineSummary(engines)
  if (options.cluster.length > 0) {
    const missing = clusterUnavailable()
    if (missing !== null) throw new InvalidArgumentError(`--cluster: ${missing}`)
  }
  const topologies = topologyNames(options.cluster)
  const runId =
    options.outDir === undefined
      ? runIdNow(profile)
      : (options.outDir.replace(/\/+$/, '').split('/').at(-1) ?? runIdNow(profile))
  const runDir = resolve(REPO_ROOT, options.outDir ?? join('results', runId))
  prepareRunDir(runDir)

  const machine = machineInfo()
  const note =
    options.label ??
    `shared machine, load average ${machine.loadAverage1m.toFixed(2)} at start; server and ${engine === 'k6' ? 'k6' : engine === 'builtin' ? 'built-in engine' : 'load tools (k6, built-in engine)'} side by side`
  const label = machineLabel(machine, note)
  const createdAt = new Date().toISOString()
  const parameters = {
    steps: options.steps,
    holdS: options.holdS,
    rampS: options.rampS,
    rampFollowsStep: options.rampFollowsStep,
    climbedPastInvalid: options.full,
    rateHz: options.rateHz,
    budgetMs: options.budgetMs,
    pollIntervalS: options.pollIntervalS,
    engine,
    loadProcesses: options.loadProcesses,
    topologies,
    ...(options.encodings.length === 0 ? {} : { encodings: options.encodings }),
    ...(options.networks.length === 0
      ? {}
      : {
          networks: options.networks,
          networkSteps: options.networkSteps,
          networkHoldS: options.networkHoldS,
        }),
  }
  const runInfo = {
    runId,
    createdAt,
    profile,
    machineLabel: label,
    machine,
    versions: versionInfo(REPO_ROOT, k6),
    parameters: { ...parameters, protocols: options.protocols, baseline: options.baseline },
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  }
  writeFileSync(join(runDir, 'run.json'), JSON.stringify(runInfo, null, 2) + '\n')

  const steps: StepResult[] = []
  const ladders: LadderResult[] = []
  const allPlans = options.protocols.flatMap((protocol) => planLadders(protocol, options))
  const networkLadders = allPlans.filter((plan) => plan.network !== undefined).length
  const estimateMin = Math.ceil(estimateRunS(options, allPlans) / 60)
  log(
    `bench: ${String(allPlans.length)} ladder(s) of up to ${String(options.steps.length)} steps` +
      (networkLadders === 0
        ? ''
        : ` (${String(networkLadders)} of them over ${options.networks.join(', ')}: ${options.networkSteps.join(', ')} connections, ${String(options.networkHoldS)} s each)`) +
      `, at most about ${String(estimateMin)} min; ` +
      `a ladder stops climbing at a step that fails${options.full ? '' : ' or that the load generator limited (--full climbs on)'}`,
  )

  for (const protocol of options.protocols) {
    const choice = engines.get(protocol) ?? { engine: 'builtin', reason: null }
    for (const plan of planLadders(protocol, options)) {
      const ran = await runLadder({ options, parameters, runDir, log, choice }, protocol, plan)
      steps.push(...ran.steps)
      ladders.push(ran.ladder)
    }
  }

  const report = reportSchema.parse({
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId,
    createdAt,
    machineLabel: label,
    profile,
    parameters,
    steps,
    ladders,
  } satisfies Report)
  writeFileSync(join(runDir, 'report.json'), JSON.stringify(report, null, 2) + '\n')
  writeFileSync(
    join(runDir, 'run.json'),
    JSON.stringify({ ...runInfo, finishedAt: new Date().toISOString() }, null, 2) + '\n',
  )
  const exitCode = exitCodeOf(report)
  return { report, runDir, exitCode }
}

/** What one ladder needs from its run: the options, the recorded parameters, where to write. */
interface LadderContext {
  options: BenchOptions
  parameters: Report['parameters']
  runDir: string
  log: (line: string, live?: boolean) => void
  choice: EngineChoice
}

/**
 * Climbs one ladder (a protocol, design and variant) step by step until a step stops it (over
 * budget, lost frames, generator-limited unless --full) or fails; returns its steps and verdict.
 */
async function runLadder(
  { options, parameters, runDir, log, choice }: LadderContext,
  protocol: Protocol,
  { design, topology, encoding, network }: LadderPlan,
): Promise<{ steps: StepResult[]; ladder: LadderResult }> {
  const shape = ladderShape(options, { network })
  const variant = {
    topology,
    ...(encoding === undefined ? {} : { encoding }),
    ...(network === undefined ? {} : { network }),
  }
  const name = `${protocol} ${design} ${variantLabel(variant)}`
  const ladder: StepResult[] = []
  let failure: { connections: number; reason: string; loadTool: boolean } | null = null
  for (const [index, connections] of shape.steps.entries()) {
    let step: StepResult
    try {
      step = await runStep(
        {
          protocol,
          design,
          topology,
          encoding,
          loadProcesses: options.loadProcesses,
          connections,
          holdS: shape.holdS,
          rampS: stepRampS(options, connections),
          rateHz: options.rateHz,
          pollIntervalS: options.pollIntervalS,
          budgetMs: options.budgetMs,
          engine: choice.engine,
          ...(choice.engine === 'k6' ? { k6Path: choice.k6.path } : {}),
          root: REPO_ROOT,
          runDir,
          cpuProfile: options.cpuProfile,
          network,
        },
        (p) => {
          log(
            formatProgress({
              protocol,
              design: `${design} ${variantLabel(variant)}`,
              step: index + 1,
              steps: shape.steps.length,
              connections,
              ...p,
            }),
            true,
          )
        },
      )
    } catch (error) {
      if (!(error instanceof StepFailure)) throw error
      const loadTool = error instanceof LoadToolFailure
      failure = { connections, reason: error.message, loadTool }
      log(
        `${name} ${String(connections)}: ${loadTool ? 'load tool failed' : 'step failed'}: ${error.message}`,
      )
      break
    }
    ladder.push(step)
    const result = summariseLadder(protocol, design, ladder, parameters, null, !options.full)
    log(
      `${name} ${String(connections)}: p95 ${step.latencyMs.p95.toFixed(1)} ms, p99 ${step.latencyMs.p99.toFixed(1)} ms, ` +
        `${String(step.framesReceived)} of ${String(step.framesScheduled ?? step.framesExpected)} scheduled frames, ${String(step.gaps)} gaps, server CPU ${step.server.cpuPercent.toFixed(0)} %` +
        (step.valid ? '' : ` — INVALID: ${step.invalidReason ?? ''}`),
    )
    if (result.stoppedAt !== null) break
  }
  return {
    steps: ladder,
    ladder: {
      ...summariseLadder(protocol, design, ladder, parameters, failure, !options.full),
      ...variant,
      engine: choice.engine,
    },
  }
}

/**
 * The bench's exit code: 3 when a load tool failed, 1 when a reference ladder on loopback
 * failed at its first valid step (the server is broken), 0 otherwise.
 */
function exitCodeOf(report: Report): number {
  // A first step that the generator invalidated says nothing about the server: not a failure.
  // Over an emulated link a first step over budget is the link's lesson, not a broken server.
  const failedAtFirst = report.ladders.some((l) => {
    if (l.design !== 'reference' || (l.network ?? 'loopback') !== 'loopback') return false
    const first = report.steps.find(
      (s) => s.design === 'reference' && s.protocol === l.protocol && sameVariant(s, l),
    )
    if (first === undefined) return true
    const budget = effectiveBudgetMs({ ...report.parameters, protocol: l.protocol })
    return first.valid && stopReason(first, budget, report.parameters.pollIntervalS) !== null
  })
  return loadToolProblem(report) !== null ? 3 : failedAtFirst ? 1 : 0
}

/** The end table's layout: the terminal's width when stdout is one, else 120 columns. */
function tableOptions(wide: boolean): TableOptions {
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined
  return { wide, width: columns ?? DEFAULT_TABLE_WIDTH }
}

/** Builds the commander program (exported for tests of option parsing). */
export function buildProgram(): Command {
  return new Command('bench')
    .description(
      'Ladder of connection counts per protocol; writes results/<run-id>/ and prints the comparison',
    )
    .option('--steps <list>', 'connection counts, comma-separated, rising', parseSteps, [
      ...BENCH_DEFAULTS.steps,
    ])
    .option('--protocols <list>', 'protocols, comma-separated', parseProtocols, [
      ...BENCH_DEFAULTS.protocols,
    ])
    .option(
      '--hold <duration>',
      'measured steady window per step',
      parseSeconds,
      BENCH_DEFAULTS.holdS,
    )
    .option(
      '--ramp <duration>',
      'ramp-up to the step’s connections',
      parseSeconds,
      BENCH_DEFAULTS.rampS,
    )
    .option('--rate <hz>', 'feed frames per second', parsePositive, BENCH_DEFAULTS.rateHz)
    .option(
      '--poll-interval <duration>',
      'short-poll interval',
      parseSeconds,
      BENCH_DEFAULTS.pollIntervalS,
    )
    .option(
      '--budget <ms>',
      'p95 latency budget (short poll: + poll interval)',
      parsePositive,
      BENCH_DEFAULTS.budgetMs,
    )
    .addOption(
      new Option('--engine <engine>', 'load generator')
        .choices(['auto', 'builtin', 'k6'])
        .default(BENCH_DEFAULTS.engine),
    )
    .option(
      '--baseline [list]',
      'also run the ladder against servers/baseline (the seeds’ naive design): for every protocol, or for the comma-separated ones given',
      false,
    )
    .option(
      '--quick',
      `CI profile: steps ${QUICK_PROFILE.steps.join(',')}, hold ${QUICK_PROFILE.holdS}s, ramp ${QUICK_PROFILE.rampS}s`,
      false,
    )
    .option(
      '--full',
      'climb every step of a ladder, past a step the load generator invalidated (default: the climb stops there)',
      false,
    )
    .option('--json', 'print report.json to stdout (progress goes to stderr)', false)
    .option(
      '--wide',
      `every column of the end table (default: the columns that fit the terminal, or ${String(DEFAULT_TABLE_WIDTH)} characters)`,
      false,
    )
    .option(
      '--out-dir <dir>',
      'run folder (default results/<run-id>); a previous run there is replaced',
    )
    .option('--label <text>', 'note appended to the machine label')
    .option('--cpu-prof', 'write a V8 CPU profile of each server into its step folder', false)
    .option(
      '--load-processes <n>',
      'engine processes per step, splitting the VUs by k6 execution segment; results merged',
      parseProcessCount,
      1,
    )
    .option(
      '--cluster <instances>',
      'also run every reference ladder on a cluster (redis + ticker + N fan-out instances + nginx); e.g. 2 or 2,4',
      parseCluster,
      [],
    )
    .option(
      '--encodings <list>',
      `run every reference ladder with each feed encoding (${FEED_ENCODINGS.join(', ')})`,
      parseEncodings,
      [],
    )
    .option(
      '--all-variants',
      'cross every --cluster topology with every --encodings encoding (default: vary one at a time from single/json)',
      false,
    )
    .option(
      '--network <profiles>',
      `also run every reference ladder over each emulated link (${PROFILE_NAMES.filter((n) => n !== 'loopback').join(', ')}), single server, base encoding; none: loopback only (default ${BENCH_DEFAULTS.networks.join(',')}; none with --quick)`,
      parseNetworks,
      [...BENCH_DEFAULTS.networks],
    )
    .option('--network-steps <list>', 'connection counts of a ladder over a link', parseSteps, [
      ...BENCH_DEFAULTS.networkSteps,
    ])
    .option(
      '--network-hold <duration>',
      'measured window of a step over a link',
      parseSeconds,
      BENCH_DEFAULTS.networkHoldS,
    )
    .option('--compare <runs...>', 'print deltas between two runs (folders or report.json files)')
}

async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram().parse(argv)
  const o = program.opts<{
    steps: number[]
    protocols: Protocol[]
    hold: number
    ramp: number
    rate: number
    pollInterval: number
    budget: number
    engine: 'auto' | EngineKind
    baseline: boolean | string
    quick: boolean
    full: boolean
    json: boolean
    wide: boolean
    outDir?: string
    label?: string
    cpuProf: boolean
    compare?: string[]
    loadProcesses: number
    cluster: number[]
    encodings: string[]
    allVariants: boolean
    network: string[]
    networkSteps: number[]
    networkHold: number
  }>()
  if (o.compare !== undefined) {
    if (o.compare.length !== 2)
      throw new InvalidArgumentError('--compare takes exactly two runs: <run-a> <run-b>')
    const [a, b] = o.compare.map((p) => loadReport(resolve(p)))
    if (a === undefined || b === undefined) return 2
    process.stdout.write(formatComparison(a, b) + '\n')
    return 0
  }
  const explicit = (name: string): boolean => program.getOptionValueSource(name) === 'cli'
  const options: BenchOptions = {
    steps: o.quick && !explicit('steps') ? [...QUICK_PROFILE.steps] : o.steps,
    protocols: o.protocols,
    holdS: o.quick && !explicit('hold') ? QUICK_PROFILE.holdS : o.hold,
    rampS: o.quick && !explicit('ramp') ? QUICK_PROFILE.rampS : o.ramp,
    rampFollowsStep: !o.quick && !explicit('ramp'),
    full: o.full,
    rateHz: o.rate,
    pollIntervalS: o.pollInterval,
    budgetMs: o.budget,
    engine: o.engine,
    baseline:
      o.baseline === true ? o.protocols : o.baseline === false ? [] : parseProtocols(o.baseline),
    quick: o.quick,
    json: o.json,
    wide: o.wide,
    outDir: o.outDir,
    label: o.label,
    cpuProfile: o.cpuProf,
    loadProcesses: o.loadProcesses,
    cluster: o.cluster,
    encodings: o.encodings,
    allVariants: o.allVariants,
    networks: o.quick && !explicit('network') ? [] : o.network,
    networkSteps: o.networkSteps,
    networkHoldS: o.networkHold,
  }
  const tty = process.stderr.isTTY
  let lastLive = 0
  const log = (line: string, live = false): void => {
    if (live) {
      if (tty) process.stderr.write(`\r\x1b[K${line}`)
      else if (Date.now() - lastLive >= 5000) {
        lastLive = Date.now()
        process.stderr.write(`${line}\n`)
      }
      return
    }
    process.stderr.write(`${tty ? '\r\x1b[K' : ''}${line}\n`)
  }
  const { report, runDir, exitCode } = await runBench(options, log)
  const problem = loadToolProblem(report)
  if (problem !== null) process.stderr.write(`bench: ${problem}\n`)
  if (options.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n')
  } else {
    const table = tableOptions(options.wide)
    const ratios = formatBaselineRatios(report)
    const variants = formatVariantRatios(report)
    const overLink = formatOverLink(report)
    process.stdout.write(
      (problem === null ? '' : `\n${problem}\n`) +
        `\n${report.machineLabel}\n\n${formatTable(report, table)}\n\n${formatLadders(report, table.wide === true ? Infinity : table.width)}\n` +
        (ratios === '' ? '' : `\nbaseline ÷ reference, same run (× = base/ref):\n${ratios}\n`) +
        (variants === ''
          ? ''
          : `\nvariant ÷ single/json, same run (× = variant/single):\n${variants}\n`) +
        (overLink === ''
          ? ''
          : `\nover an emulated link (ms): p50/p95/p99 + is the latency beyond the link's one-way delay, what the protocol adds;\n` +
            `loop p95 the same step on loopback; ping−RTT the upstream round trip beyond the link's; recover the median time\n` +
            `from a dropped connection to its first resumed frame; packets dropped/resent:\n${overLink}\n`) +
        `\nwritten to ${runDir}\n`,
    )
  }
  return exitCode
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code
    },
    (error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`)
      process.exitCode = 2
    },
  )
}

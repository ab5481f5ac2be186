/**
 * `npm run load -- <script> [flags]`: runs a k6 script with real k6 (when on PATH, or
 * `--engine k6`) or with the built-in engine. The flags are k6's own, so the same command
 * line works with `k6 run`.
 */
import { Command, InvalidArgumentError, Option } from 'commander'
import { durationMs } from './duration.ts'
import {
  ExecutionSegmentError,
  ExecutionTuple,
  parseExecutionSegment,
  parseExecutionSegmentSequence,
} from './execution-segment.ts'
import { watchParent } from '../../servers/http/stop-on-signals.ts'
import { chooseEngine, K6Unusable, runK6 } from './k6-binary.ts'
import { EXIT_CODES, runTest } from './runner.ts'

function positiveInteger(value: string): number {
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 1)
    throw new InvalidArgumentError('must be a positive integer')
  return parsed
}

function keyValue(value: string, previous: Record<string, string>): Record<string, string> {
  const equals = value.indexOf('=')
  if (equals < 1) throw new InvalidArgumentError(`"${value}" is not KEY=VALUE`)
  return { ...previous, [value.slice(0, equals)]: value.slice(equals + 1) }
}

function trendStatList(value: string): string[] {
  const stats = value.split(',').map((stat) => stat.trim())
  for (const stat of stats) {
    if (!/^(avg|min|med|max|count|p\(\d+(\.\d+)?\))$/.test(stat)) {
      throw new InvalidArgumentError(
        `"${stat}" is not a trend stat (avg, min, med, max, count, p(N))`,
      )
    }
  }
  return stats
}

/** Checks a k6 execution segment string at parse time, so a bad one is a usage error. */
function segmentText(value: string): string {
  try {
    parseExecutionSegment(value)
  } catch (error) {
    if (error instanceof ExecutionSegmentError) throw new InvalidArgumentError(error.message)
    throw error
  }
  return value
}

function sequenceText(value: string): string {
  try {
    parseExecutionSegmentSequence(value)
  } catch (error) {
    if (error instanceof ExecutionSegmentError) throw new InvalidArgumentError(error.message)
    throw error
  }
  return value
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

interface RunFlags {
  vus?: number
  duration?: string
  iterations?: number
  env: Record<string, string>
  summaryExport?: string
  summaryTrendStats?: string[]
  out: string[]
  quiet?: boolean
  engine: 'auto' | 'k6' | 'builtin'
  workers?: number
  summary: boolean
  executionSegment?: string
  executionSegmentSequence?: string
}

/** Re-creates the k6 command line (without engine-only flags) for `k6 run`. */
function k6Args(script: string, flags: RunFlags): string[] {
  const args: string[] = []
  if (flags.vus !== undefined) args.push('--vus', String(flags.vus))
  if (flags.duration !== undefined) args.push('--duration', flags.duration)
  if (flags.iterations !== undefined) args.push('--iterations', String(flags.iterations))
  if (flags.executionSegment !== undefined) args.push('--execution-segment', flags.executionSegment)
  if (flags.executionSegmentSequence !== undefined)
    args.push('--execution-segment-sequence', flags.executionSegmentSequence)
  for (const [key, value] of Object.entries(flags.env)) args.push('-e', `${key}=${value}`)
  if (flags.summaryExport !== undefined) args.push('--summary-export', flags.summaryExport)
  if (flags.summaryTrendStats !== undefined) {
    args.push('--summary-trend-stats', flags.summaryTrendStats.join(','))
  }
  for (const out of flags.out) args.push('--out', out)
  if (flags.quiet === true) args.push('--quiet')
  if (!flags.summary) args.push('--no-summary')
  args.push(script)
  return args
}

const program = new Command()
  .name('load')
  .description('Run a k6 script with k6 or the built-in engine')
  .showHelpAfterError()
program
  .command('run')
  .argument('<script>', 'k6 script (.ts or .js)')
  .option(
    '-u, --vus <n>',
    'VUs (with --duration or --iterations: replaces the scenarios)',
    positiveInteger,
  )
  .option('-d, --duration <duration>', 'test duration, k6 syntax (e.g. 30s)')
  .option('-i, --iterations <n>', 'total iterations (shared-iterations)', positiveInteger)
  .option('-e, --env <KEY=VALUE>', 'environment variable for __ENV (repeatable)', keyValue, {})
  .option('--summary-export <file>', "write k6's legacy summary-export JSON")
  .option(
    '--summary-trend-stats <stats>',
    'trend stats in the summary and export, e.g. avg,min,med,max,p(90),p(95),p(99)',
    trendStatList,
  )
  .option(
    '--execution-segment <segment>',
    "this process's share of the test, k6 syntax: 0:1/2, 1/2:1, 50%:100%",
    segmentText,
  )
  .option(
    '--execution-segment-sequence <points>',
    'every share of the test, k6 syntax: 0,1/3,2/3,1',
    sequenceText,
  )
  .option(
    '-o, --out <output>',
    'json=FILE (k6 NDJSON), series=FILE or samples=FILE (engine extensions); repeatable',
    collect,
    [],
  )
  .option('-q, --quiet', 'no progress line')
  .option('--no-summary', 'no end-of-test summary')
  .addOption(
    new Option('--engine <engine>', 'k6 binary, built-in engine, or k6 when on PATH')
      .choices(['auto', 'k6', 'builtin'])
      .default('auto'),
  )
  .option(
    '--workers <n>',
    'built-in engine: worker threads (default one per core)',
    positiveInteger,
  )
  .action(async (script: string, flags: RunFlags) => {
    if (flags.duration !== undefined) durationMs(flags.duration)
    // A segment that the sequence does not hold is a usage error too, caught before any work.
    let segment: ExecutionTuple
    try {
      segment = ExecutionTuple.parse(flags.executionSegment, flags.executionSegmentSequence)
    } catch (error) {
      if (error instanceof ExecutionSegmentError)
        program.error(`error: --execution-segment: ${error.message}`)
      throw error
    }
    const hasSeries = flags.out.some(
      (out) => out.startsWith('series=') || out.startsWith('samples='),
    )
    if (flags.engine === 'k6' && hasSeries)
      throw new Error(
        '--out series=FILE and samples=FILE are built-in engine extensions; k6 does not have them (use --engine builtin)',
      )
    // `auto` with the engine's own outputs asked for: the engine, without asking k6 anything.
    const choice = chooseEngine(hasSeries ? 'builtin' : flags.engine, script)
    if (choice.engine === 'k6') {
      process.exitCode = await runK6(choice.k6.path, k6Args(script, flags))
      return
    }
    if (choice.reason !== null) process.stderr.write(`${choice.reason}\n`)
    let outJson: string | undefined
    let outSeries: string | undefined
    let outSamples: string | undefined
    for (const out of flags.out) {
      if (out.startsWith('json=')) outJson = out.slice(5)
      else if (out.startsWith('series=')) outSeries = out.slice(7)
      else if (out.startsWith('samples=')) outSamples = out.slice(8)
      else
        throw new Error(
          `--out ${out}: the built-in engine writes json=FILE, series=FILE and samples=FILE only`,
        )
    }
    const env: Record<string, string> = {}
    for (const [key, value] of Object.entries(process.env))
      if (value !== undefined) env[key] = value
    const result = await runTest({
      scriptPath: script,
      env: { ...env, ...flags.env },
      flags: {
        ...(flags.vus === undefined ? {} : { vus: flags.vus }),
        ...(flags.duration === undefined ? {} : { durationMs: durationMs(flags.duration) }),
        ...(flags.iterations === undefined ? {} : { iterations: flags.iterations }),
      },
      ...(flags.summaryExport === undefined ? {} : { summaryExport: flags.summaryExport }),
      ...(flags.summaryTrendStats === undefined
        ? {}
        : { summaryTrendStats: flags.summaryTrendStats }),
      ...(outJson === undefined ? {} : { outJson }),
      ...(outSeries === undefined ? {} : { outSeries }),
      ...(outSamples === undefined ? {} : { outSamples }),
      segment,
      quiet: flags.quiet === true,
      noSummary: !flags.summary,
      ...(flags.workers === undefined ? {} : { workers: flags.workers }),
    })
    process.exitCode = result.exitCode
  })

// `npm run load` stopped by SIGTERM to npm alone: npm exits without passing it on, so the
// engine would run its whole test orphaned. It stops as on a SIGTERM of its own.
watchParent(() => {
  process.kill(process.pid, 'SIGTERM')
})

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`ERRO ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = error instanceof K6Unusable ? EXIT_CODES.invalidConfig : EXIT_CODES.scriptError
})

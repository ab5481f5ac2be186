/**
 * `npm run fuzz -- --minutes N [--seed S] [--target reference,baseline]`: the test suite's
 * fuzzer for longer, with progress every 10 s; on a failure it prints the seed and the
 * shrunk input, and exits 1.
 */
import { Command, InvalidArgumentError } from 'commander'
import {
  clusterMissing,
  startBaselineTarget,
  startClusterTarget,
  startReferenceTarget,
  type FuzzTarget,
} from './fuzz-target.ts'
import { runFuzz } from './run-fuzz.ts'

const STARTERS: Record<string, () => Promise<FuzzTarget>> = {
  reference: () => startReferenceTarget(),
  baseline: () => startBaselineTarget(),
  cluster: () => {
    const missing = clusterMissing()
    if (missing !== null) throw new Error(`--target cluster: ${missing}`)
    return startClusterTarget()
  },
}

function positive(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value)
    if (!Number.isFinite(parsed) || parsed <= 0) {
      throw new InvalidArgumentError(`--${name} must be a positive number, got "${value}"`)
    }
    return parsed
  }
}

function integer(value: string): number {
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed))
    throw new InvalidArgumentError(`--seed must be an integer, got "${value}"`)
  return parsed
}

function targetList(value: string): string[] {
  const names = value.split(',').map((name) => name.trim())
  for (const name of names) {
    if (!(name in STARTERS)) {
      throw new InvalidArgumentError(
        `unknown target "${name}"; use ${Object.keys(STARTERS).join(', ')}`,
      )
    }
  }
  return names
}

const program = new Command('npm run fuzz --')
  .description(
    'Send generated hostile HTTP to live servers with bystanders; check they stay up and whole',
  )
  .option('--minutes <n>', 'how long to run', positive('minutes'), 1)
  .option('--seed <n>', 'replay the run with this seed', integer)
  .option('--batch <n>', 'connections per batch', positive('batch'), 25)
  .option('--target <list>', 'servers to fuzz: reference, baseline, cluster', targetList, [
    'reference',
    'baseline',
  ])
  .action(async (flags: { minutes: number; seed?: number; batch: number; target: string[] }) => {
    const targets = await Promise.all(
      flags.target.map((name) => (STARTERS[name] ?? startReferenceTarget)()),
    )
    const started = Date.now()
    let lastReport = started
    try {
      const result = await runFuzz(targets, {
        batchSize: Math.floor(flags.batch),
        numRuns: Number.MAX_SAFE_INTEGER,
        timeLimitMs: flags.minutes * 60_000,
        ...(flags.seed === undefined ? {} : { seed: flags.seed }),
        onBatch: (cases) => {
          const now = Date.now()
          if (now - lastReport < 10_000) return
          lastReport = now
          const seconds = (now - started) / 1000
          process.stdout.write(
            `fuzz: ${String(cases)} cases in ${seconds.toFixed(0)} s (${(cases / seconds).toFixed(0)}/s), ${flags.target.join(' + ')}\n`,
          )
        },
      })
      process.stdout.write(`fuzz: ${String(result.cases)} cases, seed ${String(result.seed)}: `)
      if (result.failure === null) {
        process.stdout.write('no failure\n')
      } else {
        process.stdout.write(`FAILED\n${result.failure}\n`)
        process.exitCode = 1
      }
    } finally {
      await Promise.all(targets.map((target) => target.stop()))
    }
  })

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`fuzz: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 2
})

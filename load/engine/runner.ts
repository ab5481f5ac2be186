/**
 * The built-in engine's main thread: loads the script, runs `setup`, schedules every
 * scenario's VUs onto worker threads (worker-pool.ts, vu-scheduler.ts), merges their metrics
 * once per second (run-metrics.ts), checks thresholds, runs `teardown`, and writes k6's
 * outputs.
 */
import { writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { bundleScript } from './bundle.ts'
import { durationMs, formatDuration } from './duration.ts'
import { ExecutionTuple } from './execution-segment.ts'
import type { ExecutionFlags, ScenarioShare } from './executors.ts'
import { planScenarios, scenarioShare } from './executors.ts'
import { startLoopDelayProbe } from './loop-delay.ts'
import { MetricSink } from './metric-sink.ts'
import type { MetricStore } from './metric-store.ts'
import { SUMMARY_TREND_STATS } from './metric-store.ts'
import type { ThresholdVerdict } from './outputs/summary-data.ts'
import { buildSummaryData } from './outputs/summary-data.ts'
import { buildSummaryExport } from './outputs/summary-export.ts'
import { renderSummaryText } from './outputs/summary-text.ts'
import { RunMetrics } from './run-metrics.ts'
import type { MetricThresholds } from './thresholds.ts'
import { checkAggregation, parseThresholds, thresholdPasses } from './thresholds.ts'
import { ScriptMisuseError, VuContext } from './vu-context.ts'
import type { VuInstance } from './vu-instance.ts'
import { compileFactory, instantiate } from './vu-instance.ts'
import { VuScheduler } from './vu-scheduler.ts'
import { WorkerPool } from './worker-pool.ts'

/** Exit codes, as k6 uses them. */
export const EXIT_CODES = Object.freeze({
  ok: 0,
  thresholdsFailed: 99,
  /** k6's InvalidConfig: e.g. `--engine k6` with a k6 that cannot run the script. */
  invalidConfig: 104,
  scriptError: 107,
  scriptAborted: 108,
})

/** How to run a test (the CLI's flags). */
export interface RunOptions {
  scriptPath: string
  env: Record<string, string>
  flags: ExecutionFlags
  summaryExport?: string
  outJson?: string
  outSeries?: string
  quiet: boolean
  /** Worker threads; default one per core. */
  workers?: number
  /**
   * This process's execution segment within its sequence (`--execution-segment`,
   * `--execution-segment-sequence`); default the whole test.
   */
  segment?: ExecutionTuple
  /**
   * Also write every trend sample at the end (`--out samples=FILE`, an engine extension): one
   * NDJSON line per trend metric and tag set, `{"metric","tags","values":[…]}`, so that runs of
   * several processes can be merged with exact percentiles.
   */
  outSamples?: string
  /** Trend statistics in the summary and export (`--summary-trend-stats`); default k6's. */
  summaryTrendStats?: readonly string[]
  /** Skip the end-of-test summary text. */
  noSummary?: boolean
  /** Where progress and the summary go (tests capture them). */
  stdout?: (text: string) => void
  stderr?: (text: string) => void
}

/** The outcome of a run. */
export interface RunResult {
  exitCode: number
  verdicts: ThresholdVerdict[]
  store: MetricStore
}

const TICK_MS = 50

/** Evaluates every threshold against the merged metrics. */
export function evaluateThresholds(
  store: MetricStore,
  thresholds: readonly MetricThresholds[],
  elapsedMs: number,
): ThresholdVerdict[] {
  const verdicts: ThresholdVerdict[] = []
  for (const metric of thresholds) {
    const definition = store.metrics.get(metric.metric)
    const stats = metric.expressions.map((e) => e.aggregation)
    const values =
      definition === undefined ? {} : store.values(metric.metric, elapsedMs, metric.filter, stats)
    for (const expression of metric.expressions) {
      if (definition !== undefined) checkAggregation(expression, definition.type, metric.key)
      // A metric without samples passes, as in k6 (nothing to judge yet).
      const actual = values[expression.aggregation]
      verdicts.push({
        key: metric.key,
        metric: metric.metric,
        source: expression.source,
        ok: actual === undefined ? true : thresholdPasses(expression, actual),
        actual: actual ?? 0,
      })
    }
  }
  return verdicts
}

/**
 * Writes every trend sample of the run, one NDJSON line per metric and tag set:
 * `{"metric","tags","values":[…]}` (values in the order they were merged, not sorted).
 */
export function writeTrendSamples(store: MetricStore, path: string): void {
  const lines: string[] = []
  for (const [name, definition] of store.metrics) {
    if (definition.type !== 'trend') continue
    for (const series of store.seriesOf(name)) {
      const values = Array.from(series.values.subarray(0, series.length))
      lines.push(JSON.stringify({ metric: name, tags: series.tags, values }))
    }
  }
  writeFileSync(path, lines.length === 0 ? '' : `${lines.join('\n')}\n`)
}

/** The script loaded on the main thread, with what its options ask for. */
interface LoadedTest {
  source: string
  script: VuInstance
  /** The main thread's VU (setup, teardown, handleSummary; id 0) and its sink. */
  mainVu: VuContext
  mainSink: MetricSink
  options: Record<string, unknown>
  segment: ExecutionTuple
  shares: ScenarioShare[]
  thresholds: MetricThresholds[]
  /** Every scenario's VUs in this process's segment. */
  totalVus: number
}

/** Why a run stops early: the first reason given wins. */
class AbortLatch {
  reason: { message: string; exitCode: number } | undefined

  raise(message: string, exitCode: number): void {
    this.reason ??= { message, exitCode }
  }
}

async function loadTest(run: RunOptions): Promise<LoadedTest> {
  const source = await bundleScript(run.scriptPath)
  const factory = compileFactory(source, run.scriptPath)
  const mainSink = new MetricSink(run.outJson !== undefined)
  const mainVu = new VuContext({
    id: 0,
    scenario: undefined,
    scenarioStartTime: Date.now(),
    sink: mainSink,
    env: run.env,
  })
  const script = instantiate(factory, mainVu)
  const options = (script.exports['options'] ?? {}) as Record<string, unknown>
  const segment = run.segment ?? ExecutionTuple.of()
  const shares = planScenarios(options, run.flags).map((plan) => scenarioShare(plan, segment))
  const thresholds = parseThresholds(options['thresholds'], durationMs)
  const totalVus = shares.reduce((sum, share) => sum + share.maxVus, 0)
  return { source, script, mainVu, mainSink, options, segment, shares, thresholds, totalVus }
}

/**
 * Calls the script's export `name` (setup, teardown) if it has one; a throw aborts the test
 * (107 for a misuse of the API, 108 otherwise) and gives undefined.
 */
async function callExport(
  test: LoadedTest,
  abort: AbortLatch,
  name: string,
  arg?: unknown,
): Promise<unknown> {
  const fn = test.script.exports[name]
  if (typeof fn !== 'function') return undefined
  try {
    return await (fn as (data: unknown) => unknown)(arg)
  } catch (error: unknown) {
    abort.raise(
      `${name}() failed: ${error instanceof Error ? error.message : String(error)}`,
      error instanceof ScriptMisuseError ? EXIT_CODES.scriptError : EXIT_CODES.scriptAborted,
    )
    return undefined
  }
}

/** Samples the main thread's gauges (`vus`, `vus_max`) and takes its VU's batches in. */
function sampleMain(test: LoadedTest, metrics: RunMetrics, activeVus: number): void {
  const { mainVu } = test
  mainVu.series(mainVu.metric('vus', 'gauge')).add(activeVus)
  mainVu.series(mainVu.metric('vus_max', 'gauge')).add(test.totalVus)
  metrics.absorb(test.mainSink.cut())
}

/** Aborts the test when a threshold with `abortOnFail` has crossed (after its delay). */
function checkAbortThresholds(
  abortThresholds: readonly MetricThresholds[],
  metrics: RunMetrics,
  abort: AbortLatch,
  elapsedMs: number,
): void {
  if (abortThresholds.length === 0 || abort.reason !== undefined) return
  for (const verdict of evaluateThresholds(metrics.store, abortThresholds, elapsedMs)) {
    const expression = abortThresholds
      .find((t) => t.key === verdict.key)
      ?.expressions.find((e) => e.source === verdict.source)
    if (!verdict.ok && expression?.abortOnFail === true && elapsedMs >= expression.delayAbortEvalMs)
      abort.raise(
        `threshold "${verdict.source}" on ${verdict.key} crossed (abortOnFail)`,
        EXIT_CODES.thresholdsFailed,
      )
  }
}

/** What the main thread's loop works with while the scenarios run. */
interface RunningTest {
  run: RunOptions
  /** Where progress, errors and the summary's stderr target go: `run.stderr` or stderr. */
  err: (text: string) => void
  test: LoadedTest
  metrics: RunMetrics
  abort: AbortLatch
  pool: WorkerPool
  scheduler: VuScheduler
  t0: number
}

/**
 * Ticks every {@link TICK_MS} until every scenario is done: the scheduler starts and stops
 * VUs on each tick; once per wall-clock second the main thread samples its gauges, writes the
 * second's series lines, prints the progress line and checks the abortOnFail thresholds.
 */
async function tickUntilDone(running: RunningTest): Promise<void> {
  const { run, err, test, metrics, abort, pool, scheduler, t0 } = running
  const mainLoop = startLoopDelayProbe()
  const abortThresholds = test.thresholds.filter((t) => t.expressions.some((e) => e.abortOnFail))
  const width = String(test.totalVus).length
  let lastSecond = Math.floor(t0 / 1000)
  const everySecond = (now: number, second: number): void => {
    sampleMain(test, metrics, scheduler.active)
    metrics.endSecond(second - 1, Math.max(mainLoop.p99Ms(), pool.takeLoopDelayP99()))
    mainLoop.reset()
    if (!run.quiet)
      err(
        `\rrunning (${formatDuration(now - t0)}), ${String(scheduler.active).padStart(width, '0')}/${test.totalVus} VUs, ${pool.iterations} complete and ${pool.iterationsInterrupted} interrupted iterations ${scheduler.stages()}   `,
      )
    checkAbortThresholds(abortThresholds, metrics, abort, now - t0)
  }
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now()
      const second = Math.floor(now / 1000)
      if (second !== lastSecond) {
        lastSecond = second
        everySecond(now, second)
      }
      if (scheduler.schedule(now, abort.reason !== undefined)) {
        clearInterval(timer)
        resolve()
      }
    }, TICK_MS)
  })
  mainLoop.stop()
}

function writeStdout(text: string): void {
  process.stdout.write(text)
}

function writeStderr(text: string): void {
  process.stderr.write(text)
}

/**
 * Ends a run whose VUs are all done: evaluates the thresholds, hands the summary to the
 * script's `handleSummary` (or prints k6's text), writes the export and the outputs, and
 * decides the exit code.
 */
async function finishTest(
  running: RunningTest,
  setupData: unknown,
  testRunDurationMs: number,
): Promise<RunResult> {
  const { run, err, test, metrics, abort } = running
  const out = run.stdout ?? writeStdout
  const { store } = metrics
  const verdicts = evaluateThresholds(store, test.thresholds, testRunDurationMs)
  const optionStats = test.options['summaryTrendStats']
  const trendStats =
    run.summaryTrendStats ??
    (Array.isArray(optionStats) ? optionStats.map(String) : [...SUMMARY_TREND_STATS])
  const data = buildSummaryData(store, verdicts, testRunDurationMs, setupData, trendStats)
  const handleSummary = test.script.exports['handleSummary']
  if (typeof handleSummary === 'function') {
    const outputs = (await (handleSummary as (d: unknown) => unknown)(data)) as
      Record<string, unknown> | undefined
    for (const [target, content] of Object.entries(outputs ?? {})) {
      const text = typeof content === 'string' ? content : JSON.stringify(content)
      if (target === 'stdout') out(text)
      else if (target === 'stderr') err(text)
      else writeFileSync(target, text)
    }
  } else if (run.noSummary !== true) {
    out(renderSummaryText(data))
  }
  if (run.summaryExport !== undefined)
    writeFileSync(run.summaryExport, `${JSON.stringify(buildSummaryExport(data), null, 2)}\n`)
  if (run.outSamples !== undefined) writeTrendSamples(store, run.outSamples)
  await metrics.close()

  const failed = verdicts.filter((v) => !v.ok)
  let exitCode: number = EXIT_CODES.ok
  if (abort.reason !== undefined) {
    err(`ERRO ${abort.reason.message}\n`)
    exitCode = abort.reason.exitCode
  } else if (failed.length > 0) {
    exitCode = EXIT_CODES.thresholdsFailed
  }
  if (failed.length > 0) {
    err(
      `ERRO thresholds on metrics '${[...new Set(failed.map((v) => v.key))].join(', ')}' have been crossed\n`,
    )
    if (exitCode === EXIT_CODES.ok) exitCode = EXIT_CODES.thresholdsFailed
  }
  return { exitCode, verdicts, store }
}

/**
 * Runs one test to the end and returns its exit code (99 when a threshold failed): loads the
 * script, runs `setup`, starts the worker pool, ticks the VU scheduler until every scenario
 * is done, finishes the threads, runs `teardown` and writes the summary and outputs.
 *
 * @throws Error when the script cannot be loaded or its options are invalid.
 */
export async function runTest(run: RunOptions): Promise<RunResult> {
  const test = await loadTest(run)
  const metrics = new RunMetrics(run, test.thresholds)
  const abort = new AbortLatch()
  test.mainVu.abortTest = (reason) => {
    abort.raise(reason, EXIT_CODES.scriptAborted)
  }
  const setupData = await callExport(test, abort, 'setup')
  const workerCount = Math.max(1, Math.min(run.workers ?? availableParallelism(), test.totalVus))
  const pool = new WorkerPool(
    workerCount,
    test.totalVus,
    {
      kind: 'init',
      source: test.source,
      filename: run.scriptPath,
      env: run.env,
      keepPoints: run.outJson !== undefined,
      setupData: setupData === undefined ? undefined : JSON.stringify(setupData),
    },
    {
      metrics: (report) => {
        metrics.absorb(report.series)
      },
      // Reports arrive on later turns of the event loop, once the scheduler exists.
      vuExit: (vuId) => {
        scheduler.vuExited(vuId)
      },
      abort: (reason, exitCode) => {
        abort.raise(reason, exitCode)
      },
    },
    EXIT_CODES.scriptError,
  )
  const t0 = Date.now()
  const scheduler = new VuScheduler(test.shares, pool, test.segment, t0)
  const err = run.stderr ?? writeStderr
  const running: RunningTest = { run, err, test, metrics, abort, pool, scheduler, t0 }
  await tickUntilDone(running)
  await pool.finish()
  const testRunDurationMs = Date.now() - t0
  await callExport(test, abort, 'teardown', setupData)
  sampleMain(test, metrics, scheduler.active)
  metrics.endLastSecond(Math.floor(Date.now() / 1000))
  if (!run.quiet) err('\n')
  return finishTest(running, setupData, testRunDurationMs)
}

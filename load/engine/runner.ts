/**
 * The built-in engine's main thread: loads the script, runs `setup`, schedules every
 * scenario's VUs onto worker threads, merges their metrics once per second, checks
 * thresholds, runs `teardown`, and writes k6's outputs.
 */
import { writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { bundleScript } from './bundle.ts'
import { durationMs, formatDuration } from './duration.ts'
import { ExecutionTuple } from './execution-segment.ts'
import type { ExecutionFlags, ScenarioPlan, ScenarioShare } from './executors.ts'
import { planScenarios, scenarioLengthMs, scenarioShare } from './executors.ts'
import { startLoopDelayProbe } from './loop-delay.ts'
import { MetricSink } from './metric-sink.ts'
import { MetricStore, SUMMARY_TREND_STATS } from './metric-store.ts'
import type { SeriesBatch, WorkerReport } from './metric-types.ts'
import { JsonOutput } from './outputs/json-output.ts'
import { SeriesOutput, SeriesWindow } from './outputs/series-output.ts'
import type { ThresholdVerdict } from './outputs/summary-data.ts'
import { buildSummaryData } from './outputs/summary-data.ts'
import { buildSummaryExport } from './outputs/summary-export.ts'
import { renderSummaryText } from './outputs/summary-text.ts'
import type { MetricThresholds } from './thresholds.ts'
import { checkAggregation, parseThresholds, thresholdPasses } from './thresholds.ts'
import { ScriptMisuseError, VuContext } from './vu-context.ts'
import { compileFactory, instantiate } from './vu-instance.ts'
import type { FromWorker, ToWorker } from './worker-messages.ts'

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
/**
 * Young-generation size of each worker's heap, MB (V8's default grows to tens of MB). It
 * fills to its cap under a steady message rate whatever the VU count, so it is paid in RSS;
 * 2 MB against 8 MB cut RSS per VU by a third at 1000 VUs, CPU per message no worse
 * (load/perf/runs/young-generation-2mb-1000.json).
 */
const YOUNG_GENERATION_MB = 2

/**
 * Longest run of consecutive VU ids given to one worker thread. Servers broadcast in
 * connection order and VUs connect in id order, so a run of consecutive VUs receives its
 * messages one after another: a thread that holds the run reads several sockets per wake-up,
 * where ids dealt one by one wake both threads for every other socket of the burst. At 1000
 * WebSocket VUs runs of 50 took the engine from 11.3–19.6 µs per message (median 13.5, five
 * runs) to 10.7–12.5 (median 11.2), in turns on the same machine (load/perf/runs/vu-blocks/).
 */
const MAX_VU_BLOCK = 50
/** Every worker gets at least this many runs, so small VU counts stay spread over the threads. */
const MIN_BLOCKS_PER_WORKER = 4

/**
 * How many consecutive VU ids go to one worker before the next worker's turn: up to
 * {@link MAX_VU_BLOCK}, but small enough that each worker gets {@link MIN_BLOCKS_PER_WORKER}
 * runs (1, plain round robin, for a few VUs).
 */
export function vuBlockSize(totalVus: number, workerCount: number): number {
  return Math.max(
    1,
    Math.min(MAX_VU_BLOCK, Math.floor(totalVus / (workerCount * MIN_BLOCKS_PER_WORKER))),
  )
}

/** The worker (0-based) that runs VU `vuId` (1-based), in runs of `block` ids. */
export function workerIndexOf(vuId: number, block: number, workerCount: number): number {
  return Math.floor((vuId - 1) / block) % workerCount
}

interface ScenarioState {
  plan: ScenarioPlan
  share: ScenarioShare
  baseId: number
  startAt: number
  started: boolean
  ended: boolean
  running: Map<number, number>
  stopping: Set<number>
  launched: number
  /** shared-iterations: each worker's share of the iterations, counted at its first VU. */
  quotas?: number[]
}

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

/**
 * Runs one test to the end and returns its exit code (99 when a threshold failed).
 *
 * @throws Error when the script cannot be loaded or its options are invalid.
 */
export async function runTest(run: RunOptions): Promise<RunResult> {
  const out = run.stdout ?? ((text: string) => process.stdout.write(text))
  const err = run.stderr ?? ((text: string) => process.stderr.write(text))
  const source = await bundleScript(run.scriptPath)
  const factory = compileFactory(source, run.scriptPath)
  const keepPoints = run.outJson !== undefined
  const mainSink = new MetricSink(keepPoints)
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
  const plans = planScenarios(options, run.flags)
  const shares = plans.map((plan) => scenarioShare(plan, segment))
  const thresholds = parseThresholds(options['thresholds'], durationMs)
  const store = new MetricStore()
  const window = new SeriesWindow()
  const thresholdSources = new Map<string, string[]>()
  for (const t of thresholds)
    thresholdSources.set(t.metric, [
      ...(thresholdSources.get(t.metric) ?? []),
      ...t.expressions.map((e) => e.source),
    ])
  const json = run.outJson === undefined ? undefined : new JsonOutput(run.outJson, thresholdSources)
  const series = run.outSeries === undefined ? undefined : new SeriesOutput(run.outSeries)
  const absorb = (batches: readonly SeriesBatch[]): void => {
    for (const batch of batches) {
      store.merge(batch)
      window.add(batch)
      json?.write(batch)
    }
  }

  let aborted: { reason: string; exitCode: number } | undefined
  mainVu.abortTest = (reason) => {
    aborted ??= { reason, exitCode: EXIT_CODES.scriptAborted }
  }
  const callExport = async (name: string, arg?: unknown): Promise<unknown> => {
    const fn = script.exports[name]
    if (typeof fn !== 'function') return undefined
    try {
      return await (fn as (data: unknown) => unknown)(arg)
    } catch (error: unknown) {
      aborted ??= {
        reason: `${name}() failed: ${error instanceof Error ? error.message : String(error)}`,
        exitCode:
          error instanceof ScriptMisuseError ? EXIT_CODES.scriptError : EXIT_CODES.scriptAborted,
      }
      return undefined
    }
  }

  const setupData = await callExport('setup')
  const totalMax = shares.reduce((sum, share) => sum + share.maxVus, 0)
  const workerCount = Math.max(1, Math.min(run.workers ?? availableParallelism(), totalMax))
  const workers: Worker[] = []
  const workerLoop: number[] = []
  let iterationsDone = 0
  let iterationsInterrupted = 0
  const vuScenario = new Map<number, ScenarioState>()
  const finished = new Set<number>()
  let onFinished: (() => void) | undefined

  for (let index = 0; index < workerCount; index++) {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), {
      // A small young generation keeps RSS near live data: VU state survives scavenges,
      // message garbage dies young, so frequent scavenges cost little.
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    })
    workers.push(worker)
    workerLoop.push(0)
    worker.on('message', (message: FromWorker) => {
      switch (message.kind) {
        case 'metrics': {
          const report: WorkerReport = message
          absorb(report.series)
          workerLoop[index] = Math.max(workerLoop[index] ?? 0, report.loopDelayP99)
          iterationsDone += report.iterations
          iterationsInterrupted += report.iterationsInterrupted
          break
        }
        case 'vuExit': {
          const state = vuScenario.get(message.vuId)
          vuScenario.delete(message.vuId)
          if (state !== undefined) {
            for (const [slot, id] of state.running)
              if (id === message.vuId) state.running.delete(slot)
            state.stopping.delete(message.vuId)
          }
          break
        }
        case 'abort':
          aborted ??= { reason: message.reason, exitCode: message.exitCode }
          break
        case 'finished':
          finished.add(index)
          if (finished.size === workers.length) onFinished?.()
          break
      }
    })
    worker.on('error', (error: Error) => {
      aborted ??= {
        reason: `worker ${index} failed: ${error.message}`,
        exitCode: EXIT_CODES.scriptError,
      }
      finished.add(index)
      if (finished.size === workers.length) onFinished?.()
    })
    const init: ToWorker = {
      kind: 'init',
      source,
      filename: run.scriptPath,
      env: run.env,
      keepPoints,
      setupData: setupData === undefined ? undefined : JSON.stringify(setupData),
    }
    worker.postMessage(init)
  }
  const block = vuBlockSize(totalMax, workers.length)
  const workerIndex = (vuId: number): number => workerIndexOf(vuId, block, workers.length)
  const workerOf = (vuId: number): Worker => workers[workerIndex(vuId)] as Worker

  const states: ScenarioState[] = []
  let baseId = 0
  for (const share of shares) {
    states.push({
      plan: share.plan,
      share,
      baseId,
      startAt: 0,
      started: false,
      ended: false,
      running: new Map(),
      stopping: new Set(),
      launched: 0,
    })
    baseId += share.maxVus
  }

  const t0 = Date.now()
  const mainLoop = startLoopDelayProbe()
  const startVu = (state: ScenarioState, slot: number): void => {
    const vuId = state.baseId + slot + 1
    state.running.set(slot, vuId)
    state.launched++
    vuScenario.set(vuId, state)
    const index = workerIndex(vuId)
    // shared-iterations: iteration j belongs to slot j % vus, so a worker's share is the
    // sum over its slots (each worker claims from its own share). Counted once per scenario:
    // a worker keeps the quota of its first VU.
    let quota = 0
    if (state.plan.executor === 'shared-iterations') {
      const { vus, iterations } = state.plan
      if (state.quotas === undefined) {
        state.quotas = workers.map(() => 0)
        for (let s = 0; s < vus; s++) {
          const slotWorker = workerIndex(state.baseId + s + 1)
          const share = Math.floor(iterations / vus) + (s < iterations % vus ? 1 : 0)
          state.quotas[slotWorker] = (state.quotas[slotWorker] ?? 0) + share
        }
      }
      quota = state.quotas[index] ?? 0
    }
    const message: ToWorker = {
      kind: 'start',
      vuId,
      // Test-wide number: the VU ids of processes on other segments never collide with it.
      idInTest: segment.globalNumber(vuId),
      plan: state.plan,
      scenarioStartTime: state.startAt,
      sharedQuota: quota,
    }
    workerOf(vuId).postMessage(message)
  }
  const stopVus = (state: ScenarioState, vuIds: number[], graceMs: number): void => {
    const byWorker = new Map<Worker, number[]>()
    for (const vuId of vuIds) {
      state.stopping.add(vuId)
      for (const [slot, id] of state.running) if (id === vuId) state.running.delete(slot)
      const worker = workerOf(vuId)
      byWorker.set(worker, [...(byWorker.get(worker) ?? []), vuId])
    }
    for (const [worker, ids] of byWorker) {
      const message: ToWorker = { kind: 'stop', vuIds: ids, graceMs }
      worker.postMessage(message)
    }
  }
  const schedule = (now: number): boolean => {
    let allDone = true
    for (const state of states) {
      const { plan } = state
      if (!state.started) {
        if (now - t0 < plan.startTimeMs) {
          allDone = false
          continue
        }
        state.started = true
        state.startAt = now
        if (plan.executor === 'per-vu-iterations' || plan.executor === 'shared-iterations') {
          for (let slot = 0; slot < plan.vus; slot++) startVu(state, slot)
        }
      }
      const elapsed = now - state.startAt
      const iterationExecutor =
        plan.executor === 'per-vu-iterations' || plan.executor === 'shared-iterations'
      if (aborted !== undefined && !state.ended) {
        state.ended = true
        stopVus(state, [...state.running.values()], 0)
      } else if (!state.ended && elapsed >= scenarioLengthMs(plan)) {
        state.ended = true
        stopVus(state, [...state.running.values()], plan.gracefulStopMs)
      } else if (!state.ended && !iterationExecutor) {
        const target = state.share.targetVus(elapsed)
        for (let slot = 0; state.running.size < target && slot < state.share.maxVus; slot++) {
          const vuId = state.baseId + slot + 1
          if (!state.running.has(slot) && !state.stopping.has(vuId)) startVu(state, slot)
        }
        if (state.running.size > target) {
          const excess = [...state.running.entries()]
            .sort((a, b) => b[0] - a[0])
            .slice(0, state.running.size - target)
          stopVus(
            state,
            excess.map(([, id]) => id),
            plan.gracefulRampDownMs,
          )
        }
      }
      const idle = state.running.size === 0 && state.stopping.size === 0
      // An iteration executor whose segment got no VU has nothing to wait for.
      const noWork = iterationExecutor && state.share.maxVus === 0
      if (!(idle && (state.ended || noWork || (iterationExecutor && state.launched > 0))))
        allDone = false
    }
    return allDone
  }

  const mainSampleSink = (): void => {
    let active = 0
    for (const state of states) active += state.running.size + state.stopping.size
    const vusMetric = mainVu.metric('vus', 'gauge')
    const vusMaxMetric = mainVu.metric('vus_max', 'gauge')
    mainVu.series(vusMetric).add(active)
    mainVu.series(vusMaxMetric).add(totalMax)
    absorb(mainSink.cut())
  }
  const progress = (now: number): void => {
    if (run.quiet) return
    let active = 0
    for (const state of states) active += state.running.size + state.stopping.size
    const names = states
      .map((s) => `${s.plan.name} [${s.ended ? 'stopping' : s.started ? 'running' : 'waiting'}]`)
      .join(' ')
    err(
      `\rrunning (${formatDuration(now - t0)}), ${String(active).padStart(String(totalMax).length, '0')}/${totalMax} VUs, ${iterationsDone} complete and ${iterationsInterrupted} interrupted iterations ${names}   `,
    )
  }

  let lastSecond = Math.floor(t0 / 1000)
  const abortThresholds = thresholds.filter((t) => t.expressions.some((e) => e.abortOnFail))
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now()
      const second = Math.floor(now / 1000)
      if (second !== lastSecond) {
        lastSecond = second
        mainSampleSink()
        const loopP99 = Math.max(mainLoop.p99Ms(), ...workerLoop)
        mainLoop.reset()
        workerLoop.fill(0)
        const lines = window.cut(second - 1)
        lines.push({
          t: second - 1,
          metric: 'engine_event_loop_delay_p99',
          tags: {},
          type: 'gauge',
          value: loopP99,
        })
        series?.write(lines)
        progress(now)
        if (abortThresholds.length > 0 && aborted === undefined) {
          for (const verdict of evaluateThresholds(store, abortThresholds, now - t0)) {
            const expression = abortThresholds
              .find((t) => t.key === verdict.key)
              ?.expressions.find((e) => e.source === verdict.source)
            if (
              !verdict.ok &&
              expression?.abortOnFail === true &&
              now - t0 >= expression.delayAbortEvalMs
            ) {
              aborted = {
                reason: `threshold "${verdict.source}" on ${verdict.key} crossed (abortOnFail)`,
                exitCode: EXIT_CODES.thresholdsFailed,
              }
            }
          }
        }
      }
      if (schedule(now)) {
        clearInterval(timer)
        resolve()
      }
    }, TICK_MS)
  })

  await new Promise<void>((resolve) => {
    onFinished = resolve
    if (finished.size === workers.length) resolve()
    for (const worker of workers) {
      const message: ToWorker = { kind: 'finish' }
      worker.postMessage(message)
    }
  })
  await Promise.all(workers.map((worker) => worker.terminate()))
  const testRunDurationMs = Date.now() - t0
  await callExport('teardown', setupData)
  mainSampleSink()
  const finalLines = window.cut(Math.floor(Date.now() / 1000))
  series?.write(finalLines)
  mainLoop.stop()
  if (!run.quiet) err('\n')

  const verdicts = evaluateThresholds(store, thresholds, testRunDurationMs)
  const optionStats = options['summaryTrendStats']
  const trendStats =
    run.summaryTrendStats ??
    (Array.isArray(optionStats) ? optionStats.map(String) : [...SUMMARY_TREND_STATS])
  const data = buildSummaryData(store, verdicts, testRunDurationMs, setupData, trendStats)
  const handleSummary = script.exports['handleSummary']
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
  await json?.close()
  await series?.close()

  const failed = verdicts.filter((v) => !v.ok)
  let exitCode: number = EXIT_CODES.ok
  if (aborted !== undefined) {
    err(`ERRO ${aborted.reason}\n`)
    exitCode = aborted.exitCode
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

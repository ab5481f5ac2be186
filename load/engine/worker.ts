/**
 * A VU worker thread: runs the VUs the main thread assigns, batches their metrics once per
 * second, and measures its own event-loop delay (generator saturation).
 */
import { parentPort } from 'node:worker_threads'
import { startLoopDelayProbe } from './loop-delay.ts'
import { MetricSink } from './metric-sink.ts'
import type { WorkerReport } from './metric-types.ts'
import type { FromWorker, ToWorker } from './worker-messages.ts'
import type { ScriptFactory } from './vu-instance.ts'
import { compileFactory } from './vu-instance.ts'
import { printScriptError } from './script-errors.ts'
import { VuRunner } from './vu-runner.ts'

const port = parentPort
if (port === null) throw new Error('load/engine/worker.ts runs only as a worker thread')

const REPORT_INTERVAL_MS = 1000
let sink = new MetricSink(false)
let factory: ScriptFactory | undefined
let env: Record<string, string> = {}
let setupData: unknown
const vus = new Map<number, VuRunner>()
const sharedQuota = new Map<string, number>()
let iterations = 0
let interrupted = 0
const loopDelay = startLoopDelayProbe()

function post(message: FromWorker): void {
  port?.postMessage(message)
}

function report(): void {
  const series = sink.cut()
  const transfer: ArrayBuffer[] = []
  for (const batch of series) {
    if (batch.values !== undefined) transfer.push(batch.values.buffer as ArrayBuffer)
    if (batch.pointTimes !== undefined) transfer.push(batch.pointTimes.buffer as ArrayBuffer)
    if (batch.pointValues !== undefined) transfer.push(batch.pointValues.buffer as ArrayBuffer)
  }
  const message: WorkerReport = {
    kind: 'metrics',
    at: Date.now(),
    series,
    loopDelayP99: loopDelay.p99Ms(),
    iterations,
    iterationsInterrupted: interrupted,
    activeVus: vus.size,
  }
  loopDelay.reset()
  iterations = 0
  interrupted = 0
  port?.postMessage(message, transfer)
}

const ticker = setInterval(report, REPORT_INTERVAL_MS)

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'init':
      sink = new MetricSink(message.keepPoints)
      factory = compileFactory(message.source, message.filename)
      env = message.env
      setupData = message.setupData === undefined ? undefined : JSON.parse(message.setupData)
      break
    case 'start': {
      if (factory === undefined) throw new Error('worker received start before init')
      if (message.plan.executor === 'shared-iterations' && !sharedQuota.has(message.plan.name)) {
        sharedQuota.set(message.plan.name, message.sharedQuota)
      }
      let runner: VuRunner
      const localId = message.vuId
      try {
        runner = new VuRunner({
          // The script sees the test-wide number; the main thread tracks the local one.
          vuId: message.idInTest,
          plan: message.plan,
          scenarioStartTime: message.scenarioStartTime,
          sink,
          env,
          factory,
          hooks: {
            onExit() {
              vus.delete(localId)
              post({ kind: 'vuExit', vuId: localId })
            },
            onAbort(reason, exitCode) {
              post({ kind: 'abort', reason, exitCode })
            },
            claimShared(scenario) {
              const left = sharedQuota.get(scenario) ?? 0
              if (left <= 0) return false
              sharedQuota.set(scenario, left - 1)
              return true
            },
            onIteration(wasInterrupted) {
              if (wasInterrupted) interrupted++
              else iterations++
            },
          },
        })
      } catch (error: unknown) {
        printScriptError(error, message.idInTest)
        post({
          kind: 'abort',
          reason: `init of VU ${message.vuId} failed: ${error instanceof Error ? error.message : String(error)}`,
          exitCode: 107,
        })
        post({ kind: 'vuExit', vuId: message.vuId })
        break
      }
      vus.set(message.vuId, runner)
      void runner.run(setupData)
      break
    }
    case 'stop':
      for (const vuId of message.vuIds) vus.get(vuId)?.stop(message.graceMs)
      break
    case 'finish':
      clearInterval(ticker)
      for (const runner of vus.values()) runner.stop(0)
      report()
      post({ kind: 'finished' })
      break
  }
})

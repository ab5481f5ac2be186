/**
 * The engine's worker threads: starts them with the script, deals VU ids to them in runs of
 * consecutive ids, routes the main thread's messages to the thread that runs a VU, and hands
 * what the threads report (metrics, VU exits, aborts) to the main thread.
 */
import { Worker } from 'node:worker_threads'
import type { WorkerReport } from './metric-types.ts'
import type { VuDispatch } from './vu-scheduler.ts'
import type { FromWorker, ToWorker } from './worker-messages.ts'

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

/** What the threads report, handed to the main thread as it arrives. */
export interface PoolListener {
  /** A thread's metrics of the last second. */
  metrics(report: WorkerReport): void
  /** A VU ended (its iteration finished after a stop, or its executor's work is done). */
  vuExit(vuId: number): void
  /** The script (or a thread) asked to abort the test. */
  abort(reason: string, exitCode: number): void
}

/** The worker threads of one run. */
export class WorkerPool implements VuDispatch {
  readonly #workers: Worker[] = []
  /** Each thread's highest loop-delay p99 since the last {@link takeLoopDelayP99}. */
  readonly #loopDelayP99: number[] = []
  readonly #finished = new Set<number>()
  readonly #block: number
  #onFinished: (() => void) | undefined
  #iterations = 0
  #iterationsInterrupted = 0

  /**
   * Starts `count` threads, each loading the script with `init`, for a test of up to
   * `totalVus` VUs. A thread that fails reports an abort with `scriptErrorCode`.
   */
  constructor(
    count: number,
    totalVus: number,
    init: Extract<ToWorker, { kind: 'init' }>,
    listener: PoolListener,
    scriptErrorCode: number,
  ) {
    for (let index = 0; index < count; index++) {
      const worker = new Worker(new URL('./worker.ts', import.meta.url), {
        // A small young generation keeps RSS near live data: VU state survives scavenges,
        // message garbage dies young, so frequent scavenges cost little.
        resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      })
      this.#workers.push(worker)
      this.#loopDelayP99.push(0)
      worker.on('message', (message: FromWorker) => {
        this.#receive(index, message, listener)
      })
      worker.on('error', (error: Error) => {
        listener.abort(`worker ${index} failed: ${error.message}`, scriptErrorCode)
        this.#markFinished(index)
      })
      worker.postMessage(init)
    }
    this.#block = vuBlockSize(totalVus, count)
  }

  /** How many threads run VUs. */
  get size(): number {
    return this.#workers.length
  }

  /** Iterations completed, as the threads have reported them so far. */
  get iterations(): number {
    return this.#iterations
  }

  /** Iterations interrupted (stopped or failed), as reported so far. */
  get iterationsInterrupted(): number {
    return this.#iterationsInterrupted
  }

  /** The thread (0-based) that runs VU `vuId`. */
  workerIndex(vuId: number): number {
    return workerIndexOf(vuId, this.#block, this.#workers.length)
  }

  /** Sends `message` to the thread that runs VU `vuId`. */
  postToVu(vuId: number, message: ToWorker): void {
    this.#workers[this.workerIndex(vuId)]?.postMessage(message)
  }

  /** Stops VUs, one message per thread: they end within `graceMs`. */
  stop(vuIds: readonly number[], graceMs: number): void {
    const byWorker = new Map<number, number[]>()
    for (const vuId of vuIds) {
      const index = this.workerIndex(vuId)
      const ids = byWorker.get(index)
      if (ids === undefined) byWorker.set(index, [vuId])
      else ids.push(vuId)
    }
    for (const [index, ids] of byWorker) {
      const message: ToWorker = { kind: 'stop', vuIds: ids, graceMs }
      this.#workers[index]?.postMessage(message)
    }
  }

  /** The highest loop-delay p99 any thread reported since the last call, ms. */
  takeLoopDelayP99(): number {
    const highest = Math.max(0, ...this.#loopDelayP99)
    this.#loopDelayP99.fill(0)
    return highest
  }

  /** Asks every thread to finish (last metrics, VUs closed), then ends the threads. */
  async finish(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#onFinished = resolve
      if (this.#finished.size === this.#workers.length) resolve()
      for (const worker of this.#workers) {
        const message: ToWorker = { kind: 'finish' }
        worker.postMessage(message)
      }
    })
    await Promise.all(this.#workers.map((worker) => worker.terminate()))
  }

  #receive(index: number, message: FromWorker, listener: PoolListener): void {
    switch (message.kind) {
      case 'metrics':
        this.#loopDelayP99[index] = Math.max(this.#loopDelayP99[index] ?? 0, message.loopDelayP99)
        this.#iterations += message.iterations
        this.#iterationsInterrupted += message.iterationsInterrupted
        listener.metrics(message)
        break
      case 'vuExit':
        listener.vuExit(message.vuId)
        break
      case 'abort':
        listener.abort(message.reason, message.exitCode)
        break
      case 'finished':
        this.#markFinished(index)
        break
    }
  }

  #markFinished(index: number): void {
    this.#finished.add(index)
    if (this.#finished.size === this.#workers.length) this.#onFinished?.()
  }
}

/**
 * Where a run's samples go on the main thread: every batch (from the worker threads and from
 * the main thread's own VU) is merged into the store the summary and thresholds read, added
 * to the second being collected for `--out series`, and streamed to `--out json`.
 */
import type { MetricThresholds } from './thresholds.ts'
import type { SeriesBatch } from './metric-types.ts'
import { MetricStore } from './metric-store.ts'
import { JsonOutput } from './outputs/json-output.ts'
import { SeriesOutput, SeriesWindow } from './outputs/series-output.ts'

/** The outputs a run writes as it goes (the CLI's `--out`). */
export interface RunOutputPaths {
  outJson?: string
  outSeries?: string
}

/** The merged metrics of one run and its streaming outputs. */
export class RunMetrics {
  /** Every sample merged: what the summary, the export and the thresholds read. */
  readonly store = new MetricStore()
  readonly #window = new SeriesWindow()
  readonly #json: JsonOutput | undefined
  readonly #series: SeriesOutput | undefined

  /** Opens the outputs of `paths`; the json output lists each metric's threshold sources. */
  constructor(paths: RunOutputPaths, thresholds: readonly MetricThresholds[]) {
    const thresholdSources = new Map<string, string[]>()
    for (const t of thresholds)
      thresholdSources.set(t.metric, [
        ...(thresholdSources.get(t.metric) ?? []),
        ...t.expressions.map((e) => e.source),
      ])
    this.#json =
      paths.outJson === undefined ? undefined : new JsonOutput(paths.outJson, thresholdSources)
    this.#series = paths.outSeries === undefined ? undefined : new SeriesOutput(paths.outSeries)
  }

  /** Takes batches in. */
  absorb(batches: readonly SeriesBatch[]): void {
    for (const batch of batches) {
      this.store.merge(batch)
      this.#window.add(batch)
      this.#json?.write(batch)
    }
  }

  /**
   * Ends the second `t` (unix s): writes its series lines, with the engine's own loop delay
   * (the highest p99 of any thread, ms) as `engine_event_loop_delay_p99`.
   */
  endSecond(t: number, loopDelayP99: number): void {
    const lines = this.#window.cut(t)
    lines.push({
      t,
      metric: 'engine_event_loop_delay_p99',
      tags: {},
      type: 'gauge',
      value: loopDelayP99,
    })
    this.#series?.write(lines)
  }

  /** Writes what the last, partial second `t` (unix s) collected. */
  endLastSecond(t: number): void {
    this.#series?.write(this.#window.cut(t))
  }

  /** Flushes and closes the outputs. */
  async close(): Promise<void> {
    await this.#json?.close()
    await this.#series?.close()
  }
}

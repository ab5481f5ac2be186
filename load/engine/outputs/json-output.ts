/**
 * `--out json=FILE`: k6's NDJSON output. A `Metric` line introduces each metric before its
 * first `Point`; field names are k6's:
 *
 *   {"type":"Metric","data":{"name","type","contains","thresholds":[…],"submetrics":null},"metric":…}
 *   {"metric":…,"type":"Point","data":{"time":"<RFC 3339>","value":…,"tags":{…}}}
 */
import { createWriteStream } from 'node:fs'
import type { WriteStream } from 'node:fs'
import type { MetricDefinition, SeriesBatch } from '../metric-types.ts'

/** Writes Metric and Point lines as batches arrive. */
export class JsonOutput {
  readonly #stream: WriteStream
  readonly #announced = new Set<string>()
  readonly #thresholdSources: ReadonlyMap<string, string[]>

  /** @param thresholdSources threshold expressions per metric name (for the Metric lines) */
  constructor(path: string, thresholdSources: ReadonlyMap<string, string[]>) {
    this.#stream = createWriteStream(path)
    this.#thresholdSources = thresholdSources
  }

  /** The Metric line of `metric`. */
  static metricLine(metric: MetricDefinition, thresholds: readonly string[]): string {
    return JSON.stringify({
      type: 'Metric',
      data: {
        name: metric.name,
        type: metric.type,
        contains: metric.contains,
        thresholds,
        submetrics: null,
      },
      metric: metric.name,
    })
  }

  /** One Point line. */
  static pointLine(
    metric: string,
    time: number,
    value: number,
    tags: Readonly<Record<string, string>>,
  ): string {
    return JSON.stringify({
      metric,
      type: 'Point',
      data: { time: new Date(time).toISOString(), value, tags },
    })
  }

  /** Writes every point of a batch (the batch must carry pointTimes/pointValues). */
  write(batch: SeriesBatch): void {
    const name = batch.metric.name
    let text = ''
    if (!this.#announced.has(name)) {
      this.#announced.add(name)
      text += `${JsonOutput.metricLine(batch.metric, this.#thresholdSources.get(name) ?? [])}\n`
    }
    const times = batch.pointTimes
    const values = batch.pointValues
    if (times !== undefined && values !== undefined) {
      for (let i = 0; i < times.length; i++) {
        text += `${JsonOutput.pointLine(name, times[i] ?? 0, values[i] ?? 0, batch.tags)}\n`
      }
    }
    this.#stream.write(text)
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#stream.end((error?: Error | null) => {
        if (error) reject(error)
        else resolve()
      })
    })
  }
}

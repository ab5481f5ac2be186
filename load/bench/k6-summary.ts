/**
 * Reads k6's `--summary-export` JSON (either engine writes the same format).
 */

/** Percentile stats the bench asks k6 for with `--summary-trend-stats`. */
export const SUMMARY_TREND_STATS = 'avg,min,med,max,p(90),p(95),p(99)'

/** A k6 metric entry in the summary export: trends carry stats, counters `count`/`rate`. */
export type SummaryMetric = Record<string, number | undefined | Record<string, unknown>>

/** The parts of the summary export the bench reads. */
export interface K6Summary {
  metrics: Record<string, SummaryMetric | undefined>
}

/** A latency distribution in the report's shape. */
export interface Distribution {
  avg: number
  min: number
  p50: number
  p90: number
  p95: number
  p99: number
  max: number
}

/** Parses the summary export text; throws naming the file when it is not one. */
export function parseSummary(text: string, file: string): K6Summary {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new Error(
      `${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }
  if (typeof json !== 'object' || json === null || !('metrics' in json)) {
    throw new Error(`${file} has no "metrics": not a k6 --summary-export file`)
  }
  return json as K6Summary
}

function stat(metric: SummaryMetric | undefined, ...names: string[]): number | undefined {
  if (metric === undefined) return undefined
  // k6 ≥ 0.x nests values under "values" in handleSummary data; --summary-export does not.
  const values = typeof metric['values'] === 'object' ? metric['values'] : metric
  for (const name of names) {
    const v = values[name]
    if (typeof v === 'number') return v
  }
  return undefined
}

/** The trend's distribution; zeros when the metric is absent (nothing was measured). */
export function trendOf(summary: K6Summary, name: string): Distribution {
  const m = summary.metrics[name]
  const p95 = stat(m, 'p(95)') ?? 0
  return {
    avg: stat(m, 'avg') ?? 0,
    min: stat(m, 'min') ?? 0,
    p50: stat(m, 'med', 'p(50)') ?? 0,
    p90: stat(m, 'p(90)') ?? 0,
    p95,
    // An engine without p(99) in its export falls back to max, the safe upper bound.
    p99: stat(m, 'p(99)') ?? stat(m, 'max') ?? p95,
    max: stat(m, 'max') ?? 0,
  }
}

/** A counter's total (`count`); 0 when absent. */
export function countOf(summary: K6Summary, name: string): number {
  return stat(summary.metrics[name], 'count') ?? 0
}

/** Whether the trend exists and has a p(99) stat. */
export function hasP99(summary: K6Summary, name: string): boolean {
  return stat(summary.metrics[name], 'p(99)') !== undefined
}

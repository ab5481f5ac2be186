/**
 * The end-of-test data in k6's `handleSummary(data)` shape: `metrics.<name>` with `type`,
 * `contains`, `values` and `thresholds.<source>.ok`, plus `root_group`, `options`, `state`.
 */
import type { MetricStore } from '../metric-store.ts'
import { SUMMARY_TREND_STATS } from '../metric-store.ts'
import type { MetricType, ValueKind } from '../metric-types.ts'

/** One metric in handleSummary's data. */
export interface SummaryMetric {
  type: MetricType
  contains: ValueKind
  values: Record<string, number>
  thresholds?: Record<string, { ok: boolean }>
}

/** handleSummary's `data` argument. */
export interface SummaryData {
  metrics: Record<string, SummaryMetric>
  root_group: { name: string; path: string; id: string; groups: unknown[]; checks: unknown[] }
  options: { summaryTrendStats: string[]; summaryTimeUnit: string; noColor: boolean }
  state: { isStdOutTTY: boolean; isStdErrTTY: boolean; testRunDurationMs: number }
  setup_data?: unknown
}

/** A threshold's verdict, keyed as written in the options. */
export interface ThresholdVerdict {
  /** Metric name or sub-metric key (`name{tag:value}`). */
  key: string
  metric: string
  source: string
  ok: boolean
  /** The aggregated value the threshold was checked against. */
  actual: number
}

/** Builds handleSummary's data from the merged metrics. */
export function buildSummaryData(
  store: MetricStore,
  verdicts: readonly ThresholdVerdict[],
  testRunDurationMs: number,
  setupData: unknown,
  trendStats: readonly string[] = SUMMARY_TREND_STATS,
): SummaryData {
  const metrics: Record<string, SummaryMetric> = {}
  const names = [...store.metrics.keys()].sort()
  for (const name of names) {
    const metric = store.metrics.get(name)
    if (metric === undefined) continue
    metrics[name] = {
      type: metric.type,
      contains: metric.contains,
      values: store.values(name, testRunDurationMs, {}, trendStats),
    }
  }
  for (const verdict of verdicts) {
    let entry = metrics[verdict.key]
    if (entry === undefined) {
      // A sub-metric shows as its own entry, as in k6.
      const base = store.metrics.get(verdict.metric)
      if (base === undefined) continue
      const filter = parseFilter(verdict.key)
      entry = {
        type: base.type,
        contains: base.contains,
        values: store.values(verdict.metric, testRunDurationMs, filter),
      }
      metrics[verdict.key] = entry
    }
    entry.thresholds ??= {}
    entry.thresholds[verdict.source] = { ok: verdict.ok }
  }
  return {
    metrics,
    root_group: {
      name: '',
      path: '',
      id: 'd41d8cd98f00b204e9800998ecf8427e',
      groups: [],
      checks: [],
    },
    options: { summaryTrendStats: [...trendStats], summaryTimeUnit: '', noColor: false },
    state: {
      isStdOutTTY: process.stdout.isTTY,
      isStdErrTTY: process.stderr.isTTY,
      testRunDurationMs,
    },
    setup_data: setupData,
  }
}

/** The tag filter of a sub-metric key `name{a:b,c:d}`. */
export function parseFilter(key: string): Record<string, string> {
  const open = key.indexOf('{')
  if (open < 0) return {}
  const filter: Record<string, string> = {}
  for (const pair of key.slice(open + 1, key.lastIndexOf('}')).split(',')) {
    const colon = pair.indexOf(':')
    if (colon > 0)
      filter[pair.slice(0, colon).trim()] = pair
        .slice(colon + 1)
        .trim()
        .replace(/^["']|["']$/g, '')
  }
  return filter
}

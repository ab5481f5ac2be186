/**
 * `--summary-export FILE`: k6's legacy summary-export JSON. Each metric's values sit
 * directly in its object (trends `avg min med max p(90) p(95)`, counters `count rate`,
 * gauges `value min max`, rates `passes fails value`), and `thresholds` maps each
 * expression to whether it FAILED (k6's `LastFailed`), e.g. `{"p(95)<250": false}`.
 */
import type { SummaryData } from './summary-data.ts'

/** The legacy summary-export document. */
export interface SummaryExport {
  root_group: {
    name: string
    path: string
    id: string
    groups: Record<string, unknown>
    checks: Record<string, unknown>
  }
  metrics: Record<string, Record<string, number | Record<string, boolean>>>
}

/** Builds the legacy summary-export document from handleSummary's data. */
export function buildSummaryExport(data: SummaryData): SummaryExport {
  const metrics: SummaryExport['metrics'] = {}
  for (const [name, metric] of Object.entries(data.metrics)) {
    const values = metric.values
    let entry: Record<string, number | Record<string, boolean>>
    if (metric.type === 'rate') {
      entry = {
        passes: values['passes'] ?? 0,
        fails: values['fails'] ?? 0,
        value: values['rate'] ?? 0,
      }
    } else {
      entry = { ...values }
    }
    if (metric.thresholds !== undefined) {
      entry['thresholds'] = Object.fromEntries(
        Object.entries(metric.thresholds).map(([source, verdict]) => [source, !verdict.ok]),
      )
    }
    metrics[name] = entry
  }
  return {
    root_group: { name: '', path: '', id: data.root_group.id, groups: {}, checks: {} },
    metrics,
  }
}

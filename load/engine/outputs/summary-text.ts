/**
 * The end-of-test summary text, laid out as k6 prints it: thresholds first (✓/✗ per
 * expression), then every metric with dots to a fixed column, trends as
 * `avg=… min=… med=… max=… p(90)=… p(95)=…`, counters as `count rate/s`.
 */
import type { SummaryData, SummaryMetric } from './summary-data.ts'

function formatTime(ms: number): string {
  if (ms === 0) return '0s'
  if (ms < 0.001) return `${(ms * 1e6).toFixed(0)}ns`
  if (ms < 1) return `${(ms * 1000).toFixed(2)}µs`
  if (ms < 1000) return `${ms.toFixed(2)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes}m${((ms - minutes * 60_000) / 1000).toFixed(1)}s`
}

function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  return `${unit === 0 ? String(Math.round(value)) : value.toFixed(1)} ${units[unit] ?? 'B'}`
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(6)))
}

function formatValue(metric: SummaryMetric, value: number): string {
  if (metric.contains === 'time') return formatTime(value)
  if (metric.contains === 'data') return formatBytes(value)
  return formatNumber(value)
}

function metricLine(metric: SummaryMetric, trendStats: readonly string[]): string {
  const v = metric.values
  switch (metric.type) {
    case 'trend':
      return trendStats
        .map(
          (stat) =>
            `${stat}=${stat === 'count' ? formatNumber(v[stat] ?? 0) : formatValue(metric, v[stat] ?? 0)}`,
        )
        .join(' ')
    case 'counter': {
      const rate =
        metric.contains === 'data'
          ? `${formatBytes(v['rate'] ?? 0)}/s`
          : `${formatNumber(Number((v['rate'] ?? 0).toFixed(6)))}/s`
      return `${formatValue(metric, v['count'] ?? 0)} ${rate}`
    }
    case 'gauge':
      return `${formatValue(metric, v['value'] ?? 0)} min=${formatValue(metric, v['min'] ?? 0)} max=${formatValue(metric, v['max'] ?? 0)}`
    case 'rate': {
      const passes = v['passes'] ?? 0
      const fails = v['fails'] ?? 0
      return `${((v['rate'] ?? 0) * 100).toFixed(2)}% ${passes} out of ${passes + fails}`
    }
  }
}

/** Renders the summary text from handleSummary's data. */
export function renderSummaryText(data: SummaryData): string {
  const lines: string[] = []
  const entries = Object.entries(data.metrics)
  const withThresholds = entries.filter(([, metric]) => metric.thresholds !== undefined)
  if (withThresholds.length > 0) {
    lines.push('  █ THRESHOLDS', '')
    for (const [name, metric] of withThresholds) {
      lines.push(`    ${name}`)
      for (const [source, verdict] of Object.entries(metric.thresholds ?? {})) {
        const aggregation = source.split(/[<>=!]/)[0]?.trim() ?? ''
        const actual = metric.values[aggregation]
        const shown = actual === undefined ? '' : `  ${aggregation}=${formatValue(metric, actual)}`
        lines.push(`    ${verdict.ok ? '✓' : '✗'} '${source}'${shown}`)
      }
      lines.push('')
    }
  }
  lines.push('  █ TOTAL RESULTS', '')
  const width = Math.max(30, ...entries.map(([name]) => name.length + 3))
  for (const [name, metric] of entries) {
    const failed = Object.values(metric.thresholds ?? {}).some((verdict) => !verdict.ok)
    const mark = metric.thresholds === undefined ? ' ' : failed ? '✗' : '✓'
    lines.push(
      `  ${mark} ${name}${'.'.repeat(Math.max(2, width - name.length))}: ${metricLine(metric, data.options.summaryTrendStats)}`,
    )
  }
  lines.push('')
  return `${lines.join('\n')}\n`
}

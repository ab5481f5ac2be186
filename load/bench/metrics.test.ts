import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  CHARTED_METRICS,
  chartedMetricsOf,
  metricChart,
  protocolsIn,
} from '../../site/src/lib/chart-specs.ts'
import { runEntryOf } from '../../site/src/lib/results-loader.ts'
import { formatMetric, METRIC_IDS, metricOf, metricSlug, METRICS } from './metrics.ts'
import { reportSchema } from './report-schema.ts'
import { formatComparison, formatTable, TABLE_COLUMNS } from './terminal-table.ts'

const ROOT = join(import.meta.dirname, '../..')
const report = reportSchema.parse(
  JSON.parse(readFileSync(join(ROOT, 'results/published/report.json'), 'utf8')),
)
const run = runEntryOf(report, 'published', 'results/published/report.json')

describe('the metric registry', () => {
  it('gives every metric a label, a unit, a direction, a slug and a column of its own', () => {
    const slugs = METRIC_IDS.map(metricSlug)
    expect(new Set(slugs).size).toBe(METRIC_IDS.length)
    expect(metricSlug('server.rssPerConnection')).toBe('server-rss-per-connection')
    const columns = METRIC_IDS.flatMap((id) => metricOf(id).column ?? [])
    expect(new Set(columns).size).toBe(columns.length)
    for (const id of METRIC_IDS) {
      const spec = metricOf(id)
      expect(spec.label.length, id).toBeGreaterThan(2)
      expect(spec.unit.length, id).toBeGreaterThan(0)
      expect(['lower', 'higher']).toContain(spec.better)
    }
  })

  it('reads every metric from every step of the published run', () => {
    for (const step of report.steps) {
      for (const id of METRIC_IDS) {
        const value = METRICS[id].pick(step)
        if (value !== null)
          expect(Number.isFinite(value), `${id} of a ${step.protocol} step`).toBe(true)
      }
      // Latency and server CPU are measured in every step.
      expect(METRICS['latency.p95'].pick(step)).not.toBeNull()
      expect(METRICS['server.cpu'].pick(step)).not.toBeNull()
    }
  })

  it('is what the end table prints: every column with --wide, each metric as the registry formats it', () => {
    for (const id of METRIC_IDS) {
      const column = metricOf(id).column
      if (column !== undefined) expect(TABLE_COLUMNS).toContain(column.heading)
    }
    const [header, , first] = formatTable(report, { wide: true }).split('\n')
    const step = report.steps[0]
    if (header === undefined || first === undefined || step === undefined)
      throw new Error('published run has no step')
    for (const column of TABLE_COLUMNS) expect(header).toContain(column)
    expect(first).toContain(formatMetric('latency.p95', step))
    // --compare prints one change per compared metric.
    const compared = METRIC_IDS.filter((id) => metricOf(id).delta !== undefined)
    const lines = formatComparison(report, report).split('\n')
    for (const id of compared) expect(lines[1]).toContain(metricOf(id).delta)
  })

  it.each(CHARTED_METRICS)('charts %s for every protocol of a run that measured it', (id) => {
    const chart = metricChart(run, id)
    expect(chart.id).toBe(metricSlug(id))
    // One solid line per protocol, and a dashed one per protocol the baseline ran.
    const solid = chart.lines.filter((line) => line.dashed !== true)
    expect(solid.map((line) => line.label)).toHaveLength(protocolsIn(run).length)
    expect(chart.yFromZero).toBe(true)
    const measured = chartedMetricsOf(run).includes(id)
    for (const line of chart.lines)
      expect(line.values.some((value) => value !== null)).toBe(measured)
  })

  it('leaves out of a run’s page the charted metrics it did not measure', () => {
    const older = {
      ...run,
      steps: run.steps.map((step) => ({
        ...step,
        server: { ...step.server, rssPerConnectionKiB: null },
      })),
    }
    expect(chartedMetricsOf(older)).not.toContain('server.rssPerConnection')
    expect(chartedMetricsOf(older)).toContain('server.cpu')
  })
})

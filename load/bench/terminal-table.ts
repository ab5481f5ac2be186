/**
 * What the bench prints: the live progress line, the end table, the baseline ratios and
 * the `--compare` deltas. Pure functions from results to text.
 */
import { formatLadderVerdict, underDelivered, verdictOf } from './ladder.ts'
import { formatMetric, METRIC_IDS, metricOf } from './metrics.ts'
import {
  isDefaultVariant,
  networkOf,
  oneWayMs,
  sameVariant,
  variantLabel,
  type Report,
  type StepResult,
} from './report-schema.ts'

/** The registry's metrics that are columns of the end table, in registry order. */
const METRIC_COLUMNS = METRIC_IDS.flatMap((id) => {
  const column = metricOf(id).column
  return column === undefined ? [] : [{ id, ...column }]
})

/** Every column heading of the end table (`--wide`), in order: the step, its metrics, its verdict. */
export const TABLE_COLUMNS: readonly string[] = [
  'protocol',
  'design',
  'variant',
  'conns',
  'open',
  ...METRIC_COLUMNS.map((column) => column.heading),
  'verdict',
]

/** The width the end table keeps to when the output is not a terminal. */
export const DEFAULT_TABLE_WIDTH = 120

/** The verdict column is never cut below this (`INVALID [12]`, `lost frames`). */
const VERDICT_MIN_WIDTH = 16

const fixed = (n: number | null, digits = 1): string => (n === null ? '–' : n.toFixed(digits))

/** The verdict cell: ok, over budget, lost frames, or INVALID with the reason. */
export function verdict(step: StepResult, pollIntervalS = 1): string {
  if (!step.valid) return `INVALID: ${step.invalidReason ?? 'generator saturated'}`
  if (step.withinBudget) return 'ok'
  const parts: string[] = []
  if (step.gaps > 0) parts.push('lost frames')
  if (underDelivered(step, pollIntervalS)) parts.push('under-delivered')
  if (parts.length === 0) parts.push('over budget')
  return parts.join(', ')
}

/** Lays rows out in aligned columns (numbers right-aligned, text left). */
export function layout(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = columnWidths(header, rows)
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => {
        const w = widths[i] ?? 0
        return /^[-\d.–/]+$/.test(cell) ? cell.padStart(w) : cell.padEnd(w)
      })
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

/** Each column's width: its widest cell or heading. */
function columnWidths(header: readonly string[], rows: readonly (readonly string[])[]): number[] {
  return header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
}

/** How the end table is laid out. */
export interface TableOptions {
  /** The most characters a line may take (the terminal's width); default 120. */
  width?: number
  /** Every column whatever the width (`--wide`). */
  wide?: boolean
}

/** One column of the end table: its heading and its cell for a step. */
interface Column {
  heading: string
  cell: (step: StepResult) => string
}

/**
 * A variant as short as the end table needs it: only what differs from one server sending
 * JSON on loopback (`cluster-2`, `binary`, `4g`, `cluster-2/binary`), `default` for that one.
 * The full label (`single/json over 4g`) is in the notes and the ladder lines.
 */
export function variantCell(step: StepResult): string {
  const parts = [
    (step.topology ?? 'single') === 'single' ? '' : (step.topology ?? ''),
    (step.encoding ?? 'json') === 'json' ? '' : (step.encoding ?? ''),
    networkOf(step) === 'loopback' ? '' : networkOf(step),
  ].filter((part) => part !== '')
  return parts.length === 0 ? 'default' : parts.join('/')
}

/**
 * The end table: one row per protocol × design × variant × step. By default it keeps to
 * `width`: `design` and `variant` only when the run has more than one, then the metric columns
 * by priority while they fit, in registry order. An invalid step's reason is a numbered note
 * under the table, so the verdict column stays narrow.
 */
export function formatTable(report: Report, options: TableOptions = {}): string {
  const { steps } = report
  const pollIntervalS = report.parameters.pollIntervalS
  const notes: string[] = []
  const verdicts = steps.map((step) => {
    const text = verdict(step, pollIntervalS)
    if (step.valid || options.wide === true) return text
    notes.push(
      `${step.protocol} ${step.design} ${variantLabel(step)} ${String(step.connections)}: ${text}`,
    )
    return `INVALID [${String(notes.length)}]`
  })
  const varies = (key: (step: StepResult) => string): boolean =>
    new Set(steps.map(key)).size > 1 || options.wide === true
  const lead: Column[] = [
    { heading: 'protocol', cell: (step) => step.protocol },
    ...(varies((step) => step.design)
      ? [{ heading: 'design', cell: (step: StepResult) => step.design }]
      : []),
    ...(varies(variantLabel)
      ? [{ heading: 'variant', cell: (step: StepResult) => variantCell(step) }]
      : []),
    { heading: 'conns', cell: (step) => String(step.connections) },
    { heading: 'open', cell: (step) => String(step.connected) },
  ]
  const metrics = METRIC_COLUMNS.map((column) => ({
    ...column,
    cell: (step: StepResult) => formatMetric(column.id, step),
  }))
  /** The width of `columns` with their separators, and the separator before the verdict. */
  const widthOf = (columns: readonly Column[]): number =>
    columnWidths(
      columns.map((column) => column.heading),
      steps.map((step) => columns.map((column) => column.cell(step))),
    ).reduce((sum, w) => sum + w + 2, 0)
  const verdictWidth = Math.max('verdict'.length, ...verdicts.map((text) => text.length))
  let kept = metrics
  if (options.wide !== true) {
    const limit = options.width ?? DEFAULT_TABLE_WIDTH
    kept = []
    // Metrics go in by priority, until one does not fit, while the verdict keeps room for its short forms (`INVALID [n]`, `ok`).
    const verdictFloor = Math.min(verdictWidth, VERDICT_MIN_WIDTH)
    for (const column of [...metrics].sort((a, b) => a.priority - b.priority)) {
      const tried = metrics.filter((m) => m === column || kept.includes(m))
      if (widthOf([...lead, ...tried]) + verdictFloor > limit) break
      kept = tried
    }
  }
  const columns = [...lead, ...kept]
  // Still too wide with no metric left: the verdicts are cut (the deliv% and gaps figures, and
  // --wide, say the rest).
  const room =
    options.wide === true ? Infinity : (options.width ?? DEFAULT_TABLE_WIDTH) - widthOf(columns)
  const table = layout(
    [...columns.map((column) => column.heading), 'verdict'],
    steps.map((step, index) => {
      const text = verdicts[index] ?? ''
      const cell = text.length > room ? `${text.slice(0, Math.max(1, room - 1))}…` : text
      return [...columns.map((column) => column.cell(step)), cell]
    }),
  )
  const left = metrics.length - kept.length
  const footer = [
    ...notes.map((note, index) => `[${String(index + 1)}] ${note}`),
    ...(left > 0
      ? [`${String(left)} more column(s) with --wide; every figure is in report.json`]
      : []),
  ]
  if (footer.length === 0) return table
  const limit = options.wide === true ? Infinity : (options.width ?? DEFAULT_TABLE_WIDTH)
  return `${table}\n${footer.flatMap((line) => wrap(line, limit)).join('\n')}`
}

/** Breaks `text` at spaces into lines of at most `width` characters, continued lines indented. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    const next = line === '' ? word : `${line} ${word}`
    if (next.length <= width || line.trim() === '') line = next
    else {
      lines.push(line)
      line = `    ${word}`
    }
  }
  lines.push(line)
  return lines
}

/** The ladders' outcomes, one each (wrapped at `width`), by the one verdict rule. */
export function formatLadders(report: Report, width = Infinity): string {
  return report.ladders
    .map((l) => {
      const on = l.engine === undefined ? '' : ` [${l.engine}]`
      const name = `${l.protocol} ${l.design} ${variantLabel(l)}${on}`
      if (l.loadToolFailure !== undefined) {
        // The instrument failed: no verdict on the protocol, not even "0 within budget".
        const measured =
          l.maxConnectionsWithinBudget > 0
            ? `${l.maxConnectionsWithinBudget.toLocaleString('en-GB')} connections within budget, then `
            : ''
        return `${name}: ${measured}load tool failed at ${String(l.stoppedAt)}: ${l.loadToolFailure}`
      }
      return `${name}: ${formatLadderVerdict(verdictOf(l, report))}`
    })
    .flatMap((line) => wrap(line, width))
    .join('\n')
}

/** Baseline ÷ reference ratios for every step both designs ran (same run, same machine). */
export function formatBaselineRatios(report: Report): string {
  const rows: string[][] = []
  for (const ref of report.steps) {
    if (ref.design !== 'reference' || !isDefaultVariant(ref)) continue
    const base = report.steps.find(
      (s) =>
        s.design === 'baseline' && s.protocol === ref.protocol && s.connections === ref.connections,
    )
    if (base === undefined) continue
    const ratio = (b: number, r: number): string => (r > 0 ? `${(b / r).toFixed(2)}×` : '–')
    rows.push([
      ref.protocol,
      String(ref.connections),
      ratio(base.server.cpuPercent, ref.server.cpuPercent),
      ratio(base.server.rssMiB, ref.server.rssMiB),
      ratio(base.latencyMs.p99, ref.latencyMs.p99),
      `${base.gaps} vs ${ref.gaps}`,
    ])
  }
  if (rows.length === 0) return ''
  return layout(['protocol', 'conns', 'srv CPU ×', 'RSS ×', 'p99 ×', 'gaps base vs ref'], rows)
}

/**
 * Each variant step (a cluster, another encoding) against the single-process default step of
 * the same protocol and connection count in the same run: CPU, RSS, p50 and p99 ratios, and
 * bytes per frame. Cluster CPU and RSS sum every process (nginx and Redis included).
 */
export function formatVariantRatios(report: Report): string {
  const rows: string[][] = []
  const ratio = (v: number | null, d: number | null): string =>
    v === null || d === null || d <= 0 ? '–' : `${(v / d).toFixed(2)}×`
  for (const step of report.steps) {
    if (step.design !== 'reference' || isDefaultVariant(step)) continue
    // A step over a link is read against the link's delay (formatOverLink), not as a ratio.
    if ((step.network ?? 'loopback') !== 'loopback') continue
    const single = report.steps.find(
      (s) =>
        s.design === 'reference' &&
        isDefaultVariant(s) &&
        s.protocol === step.protocol &&
        s.connections === step.connections,
    )
    if (single === undefined) continue
    rows.push([
      step.protocol,
      variantLabel(step),
      String(step.connections),
      ratio(step.server.cpuPercent, single.server.cpuPercent),
      ratio(step.server.rssMiB, single.server.rssMiB),
      ratio(step.latencyMs.p50, single.latencyMs.p50),
      ratio(step.latencyMs.p99, single.latencyMs.p99),
      ratio(step.bytesPerFrame, single.bytesPerFrame),
      step.serverParts === undefined
        ? '–'
        : `${fixed(step.serverParts.nginx.cpuPercent)}/${fixed(step.serverParts.redis.cpuPercent)}`,
    ])
  }
  if (rows.length === 0) return ''
  return layout(
    [
      'protocol',
      'variant',
      'conns',
      'srv CPU ×',
      'RSS ×',
      'p50 ×',
      'p99 ×',
      'B/frame ×',
      'nginx/redis CPU%',
    ],
    rows,
  )
}

/**
 * Each step over an emulated link against the link's one-way delay, the physical minimum:
 * what the protocol adds on top of it at p50, p95 and p99, beside the loopback p95; the
 * upstream round trip (ping to pong) beyond the link's RTT; the time to recover after a
 * dropped connection (median); and the link emulator's own CPU.
 */
export function formatOverLink(report: Report): string {
  const rows: string[][] = []
  for (const step of report.steps) {
    const network = networkOf(step)
    if (network === 'loopback' || step.link === undefined) continue
    const oneWay = oneWayMs(step)
    const loopback = report.steps.find(
      (s) =>
        isDefaultVariant(s) &&
        s.design === step.design &&
        s.protocol === step.protocol &&
        s.connections === step.connections,
    )
    const over = (ms: number): string => fixed(ms - oneWay)
    rows.push([
      step.protocol,
      network,
      String(step.connections),
      fixed(oneWay, 0),
      over(step.latencyMs.p50),
      over(step.latencyMs.p95),
      over(step.latencyMs.p99),
      loopback === undefined ? '–' : fixed(loopback.latencyMs.p95),
      step.pingMs === null || step.pingMs === undefined
        ? '–'
        : fixed(step.pingMs.p50 - step.link.rttMs),
      step.recoveryMs === null || step.recoveryMs === undefined ? '–' : fixed(step.recoveryMs.p50),
      step.link.relay === null ? '–' : fixed(step.link.relay.cpuPercent),
      step.link.loss === undefined
        ? '–'
        : `${String(step.link.loss.dropped)}/${String(step.link.loss.retransmitted)}`,
    ])
  }
  if (rows.length === 0) return ''
  return layout(
    [
      'protocol',
      'network',
      'conns',
      'one-way',
      'p50 +',
      'p95 +',
      'p99 +',
      'loop p95',
      'ping−RTT',
      'recover',
      'relay CPU%',
      'drop/resent',
    ],
    rows,
  )
}

/** One progress line (rewritten in place on a TTY). */
export function formatProgress(p: {
  protocol: string
  design: string
  step: number
  steps: number
  connections: number
  elapsedS: number
  connected: number | null
  p95: number | null
}): string {
  return (
    `${p.protocol} ${p.design} step ${p.step}/${p.steps}: ${p.connections} conns, ` +
    `${p.elapsedS.toFixed(0)} s, open ${p.connected === null ? '–' : String(p.connected)}, ` +
    `p95 ${p.p95 === null ? '–' : `${p.p95.toFixed(1)} ms`}`
  )
}

/** The registry's metrics that `--compare` prints the change of. */
const METRIC_DELTAS = METRIC_IDS.filter((id) => metricOf(id).delta !== undefined)

/** Deltas B − A for every step both runs measured, matched by protocol, design, variant and connections. */
export function formatComparison(a: Report, b: Report): string {
  const rows: string[][] = []
  const delta = (x: number | null, y: number | null, digits: number): string => {
    if (x === null || y === null) return '–'
    const d = y - x
    const pct = x !== 0 ? ` (${d >= 0 ? '+' : ''}${((100 * d) / x).toFixed(0)}%)` : ''
    return `${d >= 0 ? '+' : ''}${d.toFixed(digits)}${pct}`
  }
  for (const sa of a.steps) {
    const sb = b.steps.find(
      (s) =>
        s.protocol === sa.protocol &&
        s.design === sa.design &&
        sameVariant(s, sa) &&
        s.connections === sa.connections,
    )
    if (sb === undefined) continue
    rows.push([
      sa.protocol,
      sa.design,
      variantLabel(sa),
      String(sa.connections),
      ...METRIC_DELTAS.map((id) => {
        const spec = metricOf(id)
        return delta(spec.pick(sa), spec.pick(sb), spec.digits)
      }),
    ])
  }
  const header = `${a.runId} → ${b.runId}`
  if (rows.length === 0)
    return `${header}: no step in common (match is by protocol, design, variant and connections)`
  return `${header}\n${layout(
    [
      'protocol',
      'design',
      'variant',
      'conns',
      ...METRIC_DELTAS.map((id) => metricOf(id).delta ?? id),
    ],
    rows,
  )}`
}

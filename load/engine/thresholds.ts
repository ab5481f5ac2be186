/**
 * k6 thresholds: `"<aggregation> <operator> <value>"` per metric, e.g. `p(95)<250`,
 * `rate<0.01`, `count==0`, optionally on a sub-metric `name{tag:value}` and with
 * `abortOnFail`. Parsing follows k6's grammar; a bad expression is a programming error
 * reported before the test starts.
 */
import type { MetricType } from './metric-types.ts'

/** Comparison operators k6 accepts. */
export type ThresholdOperator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!='

/** One parsed threshold expression. */
export interface ThresholdExpression {
  /** The text as written, the key k6 prints and exports. */
  source: string
  /** `avg`, `min`, `max`, `med`, `count`, `rate`, `value` or `p(N)`. */
  aggregation: string
  operator: ThresholdOperator
  value: number
  abortOnFail: boolean
  delayAbortEvalMs: number
}

/** The thresholds of one metric or sub-metric. */
export interface MetricThresholds {
  /** The options key as written (`feed_latency{protocol:sse}`). */
  key: string
  metric: string
  /** Sub-metric tag filter; empty for the whole metric. */
  filter: Record<string, string>
  expressions: ThresholdExpression[]
}

const EXPRESSION =
  /^\s*(avg|min|max|med|count|rate|value|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*$/i
const KEY = /^([A-Za-z0-9_]+)(?:\{(.*)\})?$/

const AGGREGATIONS: Readonly<Record<MetricType, readonly string[]>> = Object.freeze({
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p'],
})

/**
 * Parses one expression such as `p(95)<250`.
 *
 * @throws Error naming the expression and the accepted grammar.
 */
export function parseThresholdExpression(
  source: string,
  abortOnFail = false,
  delayAbortEvalMs = 0,
): ThresholdExpression {
  const match = EXPRESSION.exec(source)
  if (match === null) {
    throw new Error(
      `threshold "${source}" is not valid: write "<aggregation> <operator> <number>", e.g. "p(95)<250", "rate<0.01", "count==0"`,
    )
  }
  const percentile = match[2]
  const aggregation = percentile === undefined ? (match[1] ?? '').toLowerCase() : `p(${percentile})`
  if (percentile !== undefined && (Number(percentile) < 0 || Number(percentile) > 100)) {
    throw new Error(`threshold "${source}": the percentile must be between 0 and 100`)
  }
  return {
    source,
    aggregation,
    operator: match[3] as ThresholdOperator,
    value: Number(match[4]),
    abortOnFail,
    delayAbortEvalMs,
  }
}

/**
 * Parses the `thresholds` option: each value is an array of expression strings or of
 * `{ threshold, abortOnFail?, delayAbortEval? }` objects.
 *
 * @throws Error naming the bad key or expression.
 */
export function parseThresholds(
  option: unknown,
  parseDelay: (text: string) => number,
): MetricThresholds[] {
  if (option === undefined || option === null) return []
  if (typeof option !== 'object') throw new Error('options.thresholds must be an object')
  const parsed: MetricThresholds[] = []
  for (const [key, raw] of Object.entries(option)) {
    const keyMatch = KEY.exec(key.trim())
    if (keyMatch === null) {
      throw new Error(`threshold key "${key}" is not a metric name or "name{tag:value}"`)
    }
    const filter: Record<string, string> = {}
    const selector = keyMatch[2]
    if (selector !== undefined && selector.trim() !== '') {
      for (const pair of selector.split(',')) {
        const colon = pair.indexOf(':')
        if (colon < 1) throw new Error(`threshold key "${key}": "${pair}" is not "tag:value"`)
        filter[pair.slice(0, colon).trim()] = pair
          .slice(colon + 1)
          .trim()
          .replace(/^["']|["']$/g, '')
      }
    }
    const list: unknown[] = Array.isArray(raw) ? raw : [raw]
    const expressions = list.map((entry) => {
      if (typeof entry === 'string') return parseThresholdExpression(entry)
      if (typeof entry === 'object' && entry !== null && 'threshold' in entry) {
        const spec = entry as {
          threshold: unknown
          abortOnFail?: unknown
          delayAbortEval?: unknown
        }
        if (typeof spec.threshold !== 'string') {
          throw new Error(`threshold on "${key}": "threshold" must be a string`)
        }
        const delay = typeof spec.delayAbortEval === 'string' ? parseDelay(spec.delayAbortEval) : 0
        return parseThresholdExpression(spec.threshold, spec.abortOnFail === true, delay)
      }
      throw new Error(`threshold on "${key}" must be a string or { threshold, abortOnFail }`)
    })
    parsed.push({ key, metric: keyMatch[1] ?? '', filter, expressions })
  }
  return parsed
}

/**
 * Checks that every aggregation fits the metric's type (k6 refuses `rate` on a trend).
 *
 * @throws Error naming the threshold, the metric type and what it accepts.
 */
export function checkAggregation(
  expression: ThresholdExpression,
  type: MetricType,
  key: string,
): void {
  const name = expression.aggregation.startsWith('p(') ? 'p' : expression.aggregation
  const allowed = AGGREGATIONS[type]
  if (!allowed.includes(name)) {
    throw new Error(
      `threshold "${expression.source}" on ${type} metric "${key}": a ${type} supports ${allowed.map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')}`,
    )
  }
}

/** True when `actual` satisfies the expression (the threshold passes). */
export function thresholdPasses(expression: ThresholdExpression, actual: number): boolean {
  const expected = expression.value
  switch (expression.operator) {
    case '<':
      return actual < expected
    case '<=':
      return actual <= expected
    case '>':
      return actual > expected
    case '>=':
      return actual >= expected
    case '==':
    case '===':
      return actual === expected
    case '!=':
      return actual !== expected
  }
}

/** True when the series' tags match a sub-metric filter. */
export function matchesFilter(
  tags: Readonly<Record<string, string>>,
  filter: Readonly<Record<string, string>>,
): boolean {
  for (const [name, value] of Object.entries(filter)) if (tags[name] !== value) return false
  return true
}

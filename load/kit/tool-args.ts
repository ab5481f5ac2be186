/**
 * Flags of the measuring tools (perf, soak): `node:util` parseArgs, with `--help` and a one-line
 * usage error in place of parseArgs' stack trace. The user-facing commands (bench, serve, load,
 * network) use commander; these tools keep parseArgs' small option tables.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'

/** What the flags came to: the parsed values, or what to print and the exit code. */
export type ToolArgs<T extends ParseArgsConfig> =
  | { kind: 'parsed'; parsed: ReturnType<typeof parseArgs<T>> }
  | { kind: 'exit'; code: 0 | 2; text: string }

/** The `--help` text: `usage`, then each flag with its type and default. */
export function toolHelp(usage: string, config: ParseArgsConfig): string {
  const rows = Object.entries(config.options ?? {}).map(([name, option]) => {
    const flag = `--${name}${option.type === 'string' ? ' <value>' : ''}`
    const fallback =
      option.default === undefined || option.default === false
        ? ''
        : `default: ${Array.isArray(option.default) ? option.default.join(',') : String(option.default)}`
    return { flag, fallback }
  })
  rows.push({ flag: '--help', fallback: 'print this and exit' })
  const width = Math.max(...rows.map((row) => row.flag.length))
  const lines = rows.map(({ flag, fallback }) => `  ${flag.padEnd(width)}  ${fallback}`.trimEnd())
  return `${usage}\n\nFlags:\n${lines.join('\n')}\n`
}

/** Parses `argv` by `config`; `--help` or `-h` and a flag parseArgs refuses become an exit. */
export function readToolArgs<const T extends ParseArgsConfig>(
  usage: string,
  config: T,
  argv: readonly string[],
): ToolArgs<T> {
  if (argv.includes('--help') || argv.includes('-h')) {
    return { kind: 'exit', code: 0, text: toolHelp(usage, config) }
  }
  try {
    return { kind: 'parsed', parsed: parseArgs<T>({ ...config, args: argv }) }
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw error
    const message = error instanceof Error ? error.message : String(error)
    return { kind: 'exit', code: 2, text: `error: ${message}\n(--help lists the flags)\n` }
  }
}

/** `readToolArgs` on this process's arguments: prints help or the error and exits, or returns. */
export function parseToolArgs<const T extends ParseArgsConfig>(
  usage: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  const read = readToolArgs(usage, config, process.argv.slice(2))
  if (read.kind === 'parsed') return read.parsed
  ;(read.code === 0 ? process.stdout : process.stderr).write(read.text)
  process.exit(read.code)
}

/** What a numeric flag accepts: an integer or any number, within optional bounds. */
export interface NumberRule {
  integer?: boolean
  /** Inclusive lower bound. */
  min?: number
  /** Exclusive lower bound (`above: 0`: positive). */
  above?: number
  /** Inclusive upper bound. */
  max?: number
}

/** Why `text` is not a number by `rule` for the flag `name` (`--repeat`), or undefined. */
export function numberProblem(
  name: string,
  text: string,
  rule: NumberRule = {},
): string | undefined {
  const value = Number(text)
  const fits =
    text.trim() !== '' &&
    Number.isFinite(value) &&
    (rule.integer !== true || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.above === undefined || value > rule.above) &&
    (rule.max === undefined || value <= rule.max)
  if (fits) return undefined
  const bounds = [
    rule.min === undefined ? '' : `≥ ${String(rule.min)}`,
    rule.above === undefined ? '' : `> ${String(rule.above)}`,
    rule.max === undefined ? '' : `≤ ${String(rule.max)}`,
  ].filter((bound) => bound !== '')
  const kind = rule.integer === true ? 'an integer' : 'a number'
  const range = bounds.length === 0 ? '' : ` ${bounds.join(' and ')}`
  return `${name} must be ${kind}${range}, got ${JSON.stringify(text)}`
}

/** The number flag `name` holds by `rule`; a usage error (one line, exit 2) when it is not one. */
export function flagNumber(name: string, text: string, rule: NumberRule = {}): number {
  const problem = numberProblem(name, text, rule)
  return problem === undefined ? Number(text) : usageError(problem)
}

/** Ends a tool on a usage error: one line on stderr, exit 2. */
export function usageError(message: string): never {
  process.stderr.write(`error: ${message}\n`)
  process.exit(2)
}

/** A comma-separated list of numbers (`--clients 1000,5000`), each by `rule`. */
export function flagNumbers(name: string, text: string, rule: NumberRule = {}): number[] {
  return text.split(',').map((item) => flagNumber(name, item.trim(), rule))
}

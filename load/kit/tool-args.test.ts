import { describe, expect, it } from 'vitest'
import { numberProblem, readToolArgs, toolHelp } from './tool-args.ts'

const CONFIG = {
  options: {
    clients: { type: 'string', default: '1000,5000' },
    before: { type: 'string' },
    readme: { type: 'boolean', default: false },
  },
} as const

describe('tool flags', () => {
  it('parses known flags, with the defaults for the others', () => {
    const read = readToolArgs('usage', CONFIG, ['--clients', '40', '--readme'])
    expect(read).toEqual({
      kind: 'parsed',
      parsed: { values: { clients: '40', readme: true }, positionals: [] },
    })
    const defaults = readToolArgs('usage', CONFIG, [])
    expect(defaults.kind === 'parsed' && defaults.parsed.values.clients).toBe('1000,5000')
  })

  it('answers --help and -h with the usage and every flag with its default, exit 0', () => {
    for (const flag of ['--help', '-h']) {
      const read = readToolArgs('npx node tool.ts [flags]: measures a thing', CONFIG, [flag])
      expect(read).toEqual({
        kind: 'exit',
        code: 0,
        text: toolHelp('npx node tool.ts [flags]: measures a thing', CONFIG),
      })
    }
    expect(toolHelp('npx node tool.ts [flags]', CONFIG)).toBe(
      [
        'npx node tool.ts [flags]',
        '',
        'Flags:',
        '  --clients <value>  default: 1000,5000',
        '  --before <value>',
        '  --readme',
        '  --help             print this and exit',
        '',
      ].join('\n'),
    )
  })

  it('refuses an unknown flag, a missing value and a stray argument with one line naming it, exit 2', () => {
    const cases: [string[], RegExp][] = [
      [['--clients=40', '--repeats', '3'], /--repeats/],
      [['--clients'], /--clients/],
      [['extra'], /extra/],
    ]
    for (const [argv, named] of cases) {
      const read = readToolArgs('usage', CONFIG, argv)
      expect(read.kind).toBe('exit')
      if (read.kind !== 'exit') continue
      expect(read.code).toBe(2)
      expect(read.text).toMatch(/^error: /)
      expect(read.text).toMatch(named)
      expect(read.text).toContain('--help lists the flags')
    }
  })
})

describe('numeric flags', () => {
  it('accepts numbers within the rule', () => {
    expect(numberProblem('--repeat', '3', { integer: true, min: 1 })).toBeUndefined()
    expect(numberProblem('--ramp', '0.5', { min: 0 })).toBeUndefined()
    expect(numberProblem('--minutes', '60', { above: 0, max: 60 })).toBeUndefined()
  })

  it('names the flag, the rule and the text it refuses', () => {
    expect(numberProblem('--repeat', 'abc', { integer: true, min: 1 })).toBe(
      '--repeat must be an integer ≥ 1, got "abc"',
    )
    expect(numberProblem('--repeat', '1.5', { integer: true, min: 1 })).toMatch(/an integer/)
    expect(numberProblem('--repeat', '0', { integer: true, min: 1 })).toMatch(/≥ 1/)
    expect(numberProblem('--minutes', '0', { above: 0, max: 60 })).toBe(
      '--minutes must be a number > 0 and ≤ 60, got "0"',
    )
    expect(numberProblem('--minutes', '61', { above: 0, max: 60 })).toMatch(/≤ 60/)
    expect(numberProblem('--hold', '', {})).toBe('--hold must be a number, got ""')
    expect(numberProblem('--hold', 'Infinity', {})).toMatch(/must be a number/)
  })
})

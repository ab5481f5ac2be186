import { describe, expect, it } from 'vitest'
import { linkOfFlags, relayProgram } from './main.ts'

/** Parses a relay command line without exiting on an error. */
function parse(args: string[]): ReturnType<typeof linkOfFlags> {
  const program = relayProgram()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
  return linkOfFlags(program.parse(args, { from: 'user' }).opts())
}

describe('the relay command line', () => {
  it('takes a profile, and a flag in place of any of its figures', () => {
    expect(parse(['--upstream', 'http://127.0.0.1:8080', '--network', '3g'])).toMatchObject({
      delayMs: 150,
      downBytesPerS: 87_500,
    })
    expect(
      parse([
        '--upstream',
        'http://[::1]:8080',
        '--network',
        '4g',
        '--rtt',
        '20',
        '--down-kbps',
        '0',
      ]),
    ).toMatchObject({ delayMs: 10, downBytesPerS: 0, upBytesPerS: 93_750 })
  })

  it('names the flag that is wrong', () => {
    expect(() => parse(['--upstream', 'nope'])).toThrow(/not a URL/)
    expect(() => parse(['--upstream', 'http://a:1', '--network', '5g'])).toThrow(
      /unknown profile "5g"/,
    )
    expect(() => parse(['--upstream', 'http://a:1', '--rtt', '-5'])).toThrow(
      /--rtt must be a number ≥ 0/,
    )
    expect(() => parse(['--upstream', 'http://a:1', '--jitter', ''])).toThrow(/--jitter/)
  })
})

import { describe, expect, it } from 'vitest'
import {
  countFeedMessages,
  readFeedHeader,
  readFeedNumber,
  readFeedString,
} from '../../load/lib/feed-header.ts'
import { encodeFrame, encodeReset } from '../../servers/feed/codec.ts'

describe('readFeedHeader', () => {
  it('reads type, epoch, seq and t of a frame the server serialized, from its head alone', () => {
    const text = encodeFrame('A6VPPdD5', 90, 1795334466604.847, [], [], '')
    const header = readFeedHeader(text.slice(0, 96))
    expect(header).toMatchObject({ type: 'frame', epoch: 'A6VPPdD5', seq: 90 })
    // Digits are summed by char code: the fraction may differ from Number() in the last bit.
    expect(header?.t).toBeCloseTo(1795334466604.847, 2)
  })

  it('reads a reset, which has no t, and refuses what is not a feed message', () => {
    expect(readFeedHeader(encodeReset('E2', 7, 'unknown-epoch'))).toEqual({
      type: 'reset',
      epoch: 'E2',
      seq: 7,
      t: NaN,
    })
    expect(readFeedHeader('{"seq":1}')).toBeNull()
    expect(readFeedHeader('')).toBeNull()
  })

  it('reads fields at an offset, as in a poll reply, and counts its messages', () => {
    const body =
      '{"epoch":"E1","next":12,"messages":[{"type":"frame","epoch":"E1","seq":11,"t":5},{"type":"frame","epoch":"E1","seq":12,"t":6}]}'
    expect(readFeedString(body, '"epoch":"', 0)).toBe('E1')
    expect(readFeedNumber(body, '"next":', 0)).toBe(12)
    expect(countFeedMessages(body)).toBe(2)
    expect(readFeedHeader(body, body.lastIndexOf('{"type":'))?.seq).toBe(12)
  })

  it('reads negative, fractional and exponent numbers, and NaN for a missing key', () => {
    expect(readFeedNumber('{"x":-1.5}', '"x":', 0)).toBe(-1.5)
    expect(readFeedNumber('{"x":1e3}', '"x":', 0)).toBe(1000)
    expect(readFeedNumber('{"y":1}', '"x":', 0)).toBeNaN()
  })
})

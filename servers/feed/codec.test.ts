import { describe, expect, it } from 'vitest'
import { decodeClientMessage, encodeFrame, encodeSnapshot } from './codec.ts'

describe('codec', () => {
  it('starts frames and snapshots with type, epoch, seq and t in that order', () => {
    const sprite = { id: 0, x: 1, y: 2, vx: 3, vy: 4 }
    expect(encodeFrame('e', 7, 1.5, [sprite], [], 'xx')).toMatch(
      /^\{"type":"frame","epoch":"e","seq":7,"t":1\.5,"sprites":/,
    )
    expect(encodeSnapshot('e', 7, 1.5, [], [])).toMatch(
      /^\{"type":"snapshot","epoch":"e","seq":7,"t":1\.5,/,
    )
  })

  it.each([
    ['{', 'bad-json'],
    ['[]', 'bad-message'],
    ['{"type":"nope"}', 'unknown-type'],
    ['{"type":"ping"}', 'bad-message'],
    ['{"type":"control","action":"pause"}', 'bad-message'],
  ])('refuses %s as %s', (text, code) => {
    expect(decodeClientMessage(text)).toMatchObject({ ok: false, code })
  })

  it('accepts ping and control', () => {
    expect(decodeClientMessage('{"type":"ping","id":1}')).toEqual({
      ok: true,
      message: { type: 'ping', id: 1 },
    })
    expect(decodeClientMessage({ type: 'control', action: 'stop' })).toEqual({
      ok: true,
      message: { type: 'control', action: 'stop' },
    })
  })
})

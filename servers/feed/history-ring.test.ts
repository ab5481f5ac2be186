import { describe, expect, it } from 'vitest'
import { HistoryRing, type ResumeResult } from './history-ring.ts'

/** A ring of capacity 3 holding frames `f<seq>` for seq 1…newest. */
function ringWith(newest: number): HistoryRing {
  const ring = new HistoryRing('e1', 3)
  for (let seq = 1; seq <= newest; seq++) ring.push(seq, `f${seq}`)
  return ring
}

describe('HistoryRing', () => {
  const cases: {
    name: string
    newest: number
    epoch: string
    since: number
    want: ResumeResult
  }[] = [
    {
      name: 'empty ring, client at 0',
      newest: 0,
      epoch: 'e1',
      since: 0,
      want: { kind: 'replay', frames: [] },
    },
    {
      name: 'empty ring, client ahead',
      newest: 0,
      epoch: 'e1',
      since: 1,
      want: { kind: 'reset', reason: 'ahead' },
    },
    {
      name: 'from a position',
      newest: 5,
      epoch: 'e1',
      since: 3,
      want: { kind: 'replay', frames: ['f4', 'f5'] },
    },
    {
      name: 'from the oldest held position',
      newest: 5,
      epoch: 'e1',
      since: 2,
      want: { kind: 'replay', frames: ['f3', 'f4', 'f5'] },
    },
    {
      name: 'already gone',
      newest: 5,
      epoch: 'e1',
      since: 1,
      want: { kind: 'reset', reason: 'expired' },
    },
    {
      name: 'ahead of the newest',
      newest: 5,
      epoch: 'e1',
      since: 6,
      want: { kind: 'reset', reason: 'ahead' },
    },
    {
      name: 'same position',
      newest: 5,
      epoch: 'e1',
      since: 5,
      want: { kind: 'replay', frames: [] },
    },
    {
      name: 'other epoch',
      newest: 5,
      epoch: 'e0',
      since: 5,
      want: { kind: 'reset', reason: 'unknown-epoch' },
    },
  ]
  for (const { name, newest, epoch, since, want } of cases) {
    it(`resolves a cursor: ${name}`, () => {
      expect(ringWith(newest).resume({ epoch, since })).toEqual(want)
    })
  }

  it('keeps only the newest `capacity` frames', () => {
    const ring = ringWith(7)
    expect([ring.oldest, ring.newest, ring.size]).toEqual([5, 7, 3])
    expect(ring.get(4)).toBeUndefined()
    expect(ring.get(5)).toBe('f5')
  })

  it('refuses a push that is not newest + 1', () => {
    expect(() => {
      ringWith(2).push(4, 'f4')
    }).toThrow(/expected seq 3, got 4/)
  })
})

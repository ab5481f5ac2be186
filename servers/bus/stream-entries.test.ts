import { describe, expect, it } from 'vitest'
import { isRejected, parseEntries, parseReadReply } from './stream-entries.ts'

const FRAME = (seq: number) => `{"type":"frame","epoch":"e1","seq":${seq},"sprites":[]}`
const raw = (id: string, seq: number) => [
  id,
  ['seq', String(seq), 'frame', FRAME(seq), 'events', '[]'],
]

describe('parseEntries', () => {
  it('reads id, seq, the frame text and its parsed epoch, sprites and events', () => {
    expect(parseEntries([raw('1-0', 7)])).toEqual([
      { id: '1-0', seq: 7, frame: FRAME(7), epoch: 'e1', sprites: [], events: [] },
    ])
  })

  it('treats a missing events field as no events (an entry of an older ticker)', () => {
    const [entry] = parseEntries([['2-0', ['seq', '3', 'frame', FRAME(3)]]])
    expect(entry !== undefined && !isRejected(entry) && entry.events).toEqual([])
  })

  it.each([
    ['no seq', ['frame', FRAME(1)], 'lacks seq or frame'],
    [
      'a seq that is not a positive integer',
      ['seq', '1.5', 'frame', FRAME(1)],
      'lacks seq or frame',
    ],
    ['no frame', ['seq', '4'], 'lacks seq or frame'],
    ['a frame that is not JSON', ['seq', '4', 'frame', '{oops'], 'frame is not a frame message'],
    [
      'a frame without an epoch',
      ['seq', '4', 'frame', '{"sprites":[]}'],
      'frame is not a frame message',
    ],
    [
      'events that are not a list',
      ['seq', '4', 'frame', FRAME(4), 'events', '{}'],
      'events is not a JSON list',
    ],
    [
      'a value that is not a string',
      ['seq', 4, 'frame', FRAME(4)],
      'a field or value is not a string',
    ],
  ])(
    'rejects, without throwing, an entry with %s, and keeps its neighbours',
    (_name, fields, reason) => {
      const entries = parseEntries([raw('1-0', 1), ['9-0', fields], raw('10-0', 2)])
      expect(entries.map((entry) => (isRejected(entry) ? entry.rejected : entry.seq))).toEqual([
        1,
        expect.stringContaining(reason),
        2,
      ])
      expect(entries[1]).toMatchObject({ id: '9-0' })
    },
  )

  it('throws on a reply of the wrong shape (Redis misbehaving, not one bad entry)', () => {
    expect(() => parseEntries('nope')).toThrow(/expected an array of entries/)
    expect(() => parseEntries([['only-an-id']])).toThrow(/expected \[id, \[field, value/)
  })

  it('reads buffers as text', () => {
    const entry = [
      Buffer.from('3-0'),
      [Buffer.from('seq'), Buffer.from('1'), Buffer.from('frame'), Buffer.from(FRAME(1))],
    ]
    expect(parseEntries([entry])[0]).toMatchObject({ id: '3-0', seq: 1, frame: FRAME(1) })
  })
})

describe('parseReadReply', () => {
  const seqs = (entries: ReturnType<typeof parseReadReply>) =>
    entries.map((entry) => (isRejected(entry) ? entry.rejected : entry.seq))

  it('reads the RESP2 shape [[key, entries]]', () => {
    expect(seqs(parseReadReply([['k', [raw('1-0', 1), raw('1-1', 2)]]]))).toEqual([1, 2])
  })

  it('reads the RESP3 map shape {key: entries} that node-redis returns', () => {
    expect(seqs(parseReadReply({ k: [raw('1-0', 5)] }))).toEqual([5])
  })

  it('returns no entries when XREAD timed out (null)', () => {
    expect(parseReadReply(null)).toEqual([])
  })
})

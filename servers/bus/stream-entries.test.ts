import { describe, expect, it } from 'vitest'
import { parseEntries, parseReadReply } from './stream-entries.ts'

const raw = (id: string, seq: number) => [
  id,
  ['seq', String(seq), 'frame', `{"seq":${seq}}`, 'events', '[]'],
]

describe('parseEntries', () => {
  it('reads id, seq, frame and events from an XRANGE reply', () => {
    expect(parseEntries([raw('1-0', 7)])).toEqual([
      { id: '1-0', seq: 7, frame: '{"seq":7}', events: '[]' },
    ])
  })

  it('treats a missing events field as no events (an entry of an older ticker)', () => {
    expect(parseEntries([['2-0', ['seq', '3', 'frame', '{}']]])[0]?.events).toBe('[]')
  })

  it('rejects an entry without seq or frame, naming its id', () => {
    expect(() => parseEntries([['9-0', ['frame', '{}']]])).toThrow(/9-0 lacks seq or frame/)
  })

  it('reads buffers as text', () => {
    const entry = [
      Buffer.from('3-0'),
      [Buffer.from('seq'), Buffer.from('1'), Buffer.from('frame'), Buffer.from('{}')],
    ]
    expect(parseEntries([entry])[0]).toMatchObject({ id: '3-0', seq: 1, frame: '{}' })
  })
})

describe('parseReadReply', () => {
  it('reads the RESP2 shape [[key, entries]]', () => {
    expect(parseReadReply([['k', [raw('1-0', 1), raw('1-1', 2)]]]).map((e) => e.seq)).toEqual([
      1, 2,
    ])
  })

  it('reads the RESP3 map shape {key: entries} that node-redis returns', () => {
    expect(parseReadReply({ k: [raw('1-0', 5)] }).map((e) => e.seq)).toEqual([5])
  })

  it('returns no entries when XREAD timed out (null)', () => {
    expect(parseReadReply(null)).toEqual([])
  })
})

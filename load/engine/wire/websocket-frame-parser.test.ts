import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OPCODE } from './websocket-constants.ts'
import { WebSocketFrameParser } from './websocket-frame-parser.ts'
import { serverFrame } from './websocket-test-server.ts'

type Seen =
  | { kind: 'text'; text: string }
  | { kind: 'binary'; bytes: string }
  | { kind: 'ping' | 'pong'; data: string }
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'error'; code: number; message: string }

/** A parser whose events are recorded (payload copied, since ranges die after the call). */
function recordingParser(maxPayload?: number): { parser: WebSocketFrameParser; seen: Seen[] } {
  const seen: Seen[] = []
  const parser = new WebSocketFrameParser(
    {
      onMessage(binary, bytes, start, end) {
        if (binary) seen.push({ kind: 'binary', bytes: bytes.toString('hex', start, end) })
        else seen.push({ kind: 'text', text: bytes.toString('utf8', start, end) })
      },
      onPing(bytes, start, end) {
        seen.push({ kind: 'ping', data: bytes.toString('latin1', start, end) })
      },
      onPong(bytes, start, end) {
        seen.push({ kind: 'pong', data: bytes.toString('latin1', start, end) })
      },
      onClose(code, reason) {
        seen.push({ kind: 'close', code, reason })
      },
      onProtocolError(code, message) {
        seen.push({ kind: 'error', code, message })
      },
    },
    maxPayload,
  )
  return { parser, seen }
}

/** Feeds `bytes` cut at `cuts` (positions), each piece at a different offset of a bigger buffer. */
function feed(parser: WebSocketFrameParser, bytes: Buffer, cuts: readonly number[]): void {
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b)
  let from = 0
  for (const to of [...points, bytes.length]) {
    // Padding around the piece: the parser must honour start/end, not the buffer's edges.
    const padded = Buffer.concat([
      Buffer.from([0xff, 0xff, 0xff]),
      bytes.subarray(from, to),
      Buffer.from([0xff]),
    ])
    parser.push(padded, 3, 3 + (to - from))
    from = to
  }
}

function parseAll(bytes: Buffer, cuts: readonly number[] = []): Seen[] {
  const { parser, seen } = recordingParser()
  feed(parser, bytes, cuts)
  return seen
}

const text = (n: number): string => 'abcdefghij'.repeat(Math.ceil(n / 10)).slice(0, n)

describe('WebSocketFrameParser', () => {
  it('reads text and binary messages whole from one buffer', () => {
    const bytes = Buffer.concat([
      serverFrame(OPCODE.text, 'héllo'),
      serverFrame(OPCODE.binary, Buffer.from([0, 1, 254, 255])),
      serverFrame(OPCODE.text, ''),
    ])
    expect(parseAll(bytes)).toEqual([
      { kind: 'text', text: 'héllo' },
      { kind: 'binary', bytes: '0001feff' },
      { kind: 'text', text: '' },
    ])
  })

  it.each([125, 126, 65535, 65536, 200_000])(
    'reads a %i-byte payload (7-, 16- and 64-bit lengths), whole and split at every 997th byte',
    (size) => {
      const payload = text(size)
      const bytes = serverFrame(OPCODE.text, payload)
      const expected = [{ kind: 'text', text: payload }]
      expect(parseAll(bytes)).toEqual(expected)
      const cuts = Array.from({ length: Math.floor(bytes.length / 997) }, (_, i) => (i + 1) * 997)
      expect(parseAll(bytes, [1, 2, 3, 5, 9, 11, ...cuts])).toEqual(expected)
    },
  )

  it('decodes the same messages when the stream is split at every single byte boundary', () => {
    const bytes = Buffer.concat([
      serverFrame(OPCODE.text, text(300)),
      serverFrame(OPCODE.ping, 'p1'),
      serverFrame(OPCODE.binary, Buffer.alloc(130, 7)),
      serverFrame(OPCODE.text, 'par', { fin: false }),
      serverFrame(OPCODE.pong, 'mid'),
      serverFrame(OPCODE.continuation, 'ts', { fin: true }),
      serverFrame(OPCODE.close, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('done')])),
    ])
    const whole = parseAll(bytes)
    expect(whole).toEqual([
      { kind: 'text', text: text(300) },
      { kind: 'ping', data: 'p1' },
      { kind: 'binary', bytes: '07'.repeat(130) },
      { kind: 'pong', data: 'mid' },
      { kind: 'text', text: 'parts' },
      { kind: 'close', code: 1000, reason: 'done' },
    ])
    // One byte per push.
    expect(
      parseAll(
        bytes,
        Array.from({ length: bytes.length }, (_, i) => i),
      ),
    ).toEqual(whole)
    // Every single cut position on its own.
    for (let cut = 1; cut < bytes.length; cut++) expect(parseAll(bytes, [cut])).toEqual(whole)
  })

  it('reassembles a fragmented binary message with a ping between its fragments', () => {
    const bytes = Buffer.concat([
      serverFrame(OPCODE.binary, Buffer.from([1, 2]), { fin: false }),
      serverFrame(OPCODE.continuation, Buffer.from([3]), { fin: false }),
      serverFrame(OPCODE.ping, 'between'),
      serverFrame(OPCODE.continuation, Buffer.alloc(0), { fin: false }),
      serverFrame(OPCODE.continuation, Buffer.from([4, 5]), { fin: true }),
    ])
    expect(parseAll(bytes)).toEqual([
      { kind: 'ping', data: 'between' },
      { kind: 'binary', bytes: '0102030405' },
    ])
  })

  it('reports a close frame without a code as 1005 and reads nothing after a close', () => {
    const bytes = Buffer.concat([serverFrame(OPCODE.close, ''), serverFrame(OPCODE.text, 'late')])
    expect(parseAll(bytes)).toEqual([{ kind: 'close', code: 1005, reason: '' }])
  })

  it.each([
    ['a masked server frame', serverFrame(OPCODE.text, 'x', { mask: true }), 1002, /masked/],
    ['opcode 3', serverFrame(3, 'x'), 1002, /invalid opcode 3/],
    ['opcode 11', serverFrame(11, ''), 1002, /invalid opcode 11/],
    ['RSV1 without an extension', serverFrame(OPCODE.text, 'x', { rsv: 4 }), 1002, /RSV/],
    [
      'a continuation with nothing to continue',
      serverFrame(OPCODE.continuation, 'x'),
      1002,
      /continuation/,
    ],
    [
      'a fragmented ping',
      serverFrame(OPCODE.ping, 'x', { fin: false }),
      1002,
      /fragmented control/,
    ],
    ['a 126-byte ping', serverFrame(OPCODE.ping, text(126)), 1002, /125 bytes/],
    ['a 1-byte close payload', serverFrame(OPCODE.close, Buffer.from([3])), 1002, /1-byte/],
    [
      'close code 1005 on the wire',
      serverFrame(OPCODE.close, Buffer.from([0x03, 0xed])),
      1002,
      /close code 1005/,
    ],
    [
      'a close reason that is not UTF-8',
      serverFrame(OPCODE.close, Buffer.from([0x03, 0xe8, 0xc3])),
      1007,
      /UTF-8/,
    ],
    [
      'a new text frame inside a fragmented message',
      Buffer.concat([serverFrame(OPCODE.text, 'a', { fin: false }), serverFrame(OPCODE.text, 'b')]),
      1002,
      /before the fragmented message/,
    ],
  ])(
    'closes with the right code for %s, at once and split byte by byte',
    (_name, bytes, code, message) => {
      for (const cuts of [[], Array.from({ length: bytes.length }, (_, i) => i)]) {
        const seen = parseAll(Buffer.concat([bytes, serverFrame(OPCODE.text, 'after')]), cuts)
        expect(seen).toHaveLength(1)
        expect(seen[0]).toMatchObject({
          kind: 'error',
          code,
          message: expect.stringMatching(message) as unknown,
        })
      }
    },
  )

  it('refuses a message over maxPayload with 1009, counting every fragment', () => {
    const { parser, seen } = recordingParser(100)
    const bytes = Buffer.concat([
      serverFrame(OPCODE.text, text(60), { fin: false }),
      serverFrame(OPCODE.continuation, text(60)),
    ])
    parser.push(bytes, 0, bytes.length)
    expect(seen).toEqual([
      { kind: 'error', code: 1009, message: expect.stringMatching(/100-byte limit/) as unknown },
    ])
  })

  it('decodes random frame sequences cut at random points to the same messages (property)', () => {
    const message = fc.oneof(
      fc.record({
        kind: fc.constant('text' as const),
        text: fc.string({ unit: 'grapheme', maxLength: 300 }),
        pieces: fc.integer({ min: 1, max: 4 }),
      }),
      fc.record({
        kind: fc.constant('binary' as const),
        // Mostly small, sometimes past the 16-bit length (a 64-bit length on the wire).
        bytes: fc.oneof(
          { weight: 4, arbitrary: fc.uint8Array({ maxLength: 300 }) },
          {
            weight: 1,
            arbitrary: fc
              .integer({ min: 65_530, max: 70_000 })
              .map((n) => new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff)),
          },
        ),
        pieces: fc.integer({ min: 1, max: 4 }),
      }),
      fc.record({
        kind: fc.constant('ping' as const),
        data: fc.string({ unit: 'binary-ascii', maxLength: 125 }),
      }),
    )
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.boolean(),
        (messages, rawCuts, pingInside) => {
          const frames: Buffer[] = []
          const expected: Seen[] = []
          for (const m of messages) {
            if (m.kind === 'ping') {
              frames.push(serverFrame(OPCODE.ping, Buffer.from(m.data, 'latin1')))
              expected.push({ kind: 'ping', data: m.data })
              continue
            }
            const payload = m.kind === 'text' ? Buffer.from(m.text) : Buffer.from(m.bytes)
            const step = Math.ceil(payload.length / m.pieces) || 1
            const parts: Buffer[] = []
            for (let at = 0; at < payload.length; at += step)
              parts.push(payload.subarray(at, at + step))
            if (parts.length === 0) parts.push(Buffer.alloc(0))
            parts.forEach((part, i) => {
              const opcode =
                i > 0 ? OPCODE.continuation : m.kind === 'text' ? OPCODE.text : OPCODE.binary
              frames.push(serverFrame(opcode, part, { fin: i === parts.length - 1 }))
              if (pingInside && i === 0 && parts.length > 1) {
                frames.push(serverFrame(OPCODE.ping, 'in'))
                expected.push({ kind: 'ping', data: 'in' })
              }
            })
            expected.push(
              m.kind === 'text'
                ? { kind: 'text', text: m.text }
                : { kind: 'binary', bytes: Buffer.from(m.bytes).toString('hex') },
            )
          }
          const stream = Buffer.concat(frames)
          const cuts = rawCuts.map((c) => (stream.length === 0 ? 0 : c % stream.length))
          expect(parseAll(stream, cuts)).toEqual(expected)
        },
      ),
      { numRuns: 200 },
    )
  })
})

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { binaryFromJson, decodeBinaryMessage, encodeBinaryMessage } from './binary-codec.ts'
import { HEADER_BYTES, OFFSET_SEQ_LOW, OFFSET_T } from './binary-layout.ts'
import { encodeFrame, encodeReset, encodeSnapshot } from './codec.ts'
import type { ServerMessage } from './messages.ts'
import { Simulation } from './simulation.ts'

/** Simulated feed messages, as `Feed` serializes them: a snapshot, then frames. */
const simulatedMessages = fc
  .record({
    seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    rate: fc.integer({ min: 1, max: 1000 }),
    sprites: fc.integer({ min: 0, max: 40 }),
    events: fc.integer({ min: 0, max: 100 }),
    ticks: fc.integer({ min: 1, max: 120 }),
    pad: fc.integer({ min: 0, max: 300 }),
    epoch: fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/),
    // Any double a clock could give, and a seq anywhere up to 2^53 − 1.
    t: fc.double({ min: 0, max: 1e15, noNaN: true }),
    firstSeq: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 200 }),
  })
  .map((options) => {
    const simulation = new Simulation(options)
    const texts: string[] = []
    const pad = 'x'.repeat(options.pad)
    for (let i = 0; i < options.ticks; i++) {
      const step = simulation.step()
      const seq = options.firstSeq + step.seq
      texts.push(encodeFrame(options.epoch, seq, options.t + i, step.sprites, step.changed, pad))
    }
    const events = simulation.events().map((event) => ({
      ...event,
      updatedSeq: event.updatedSeq + options.firstSeq,
    }))
    texts.push(
      encodeSnapshot(
        options.epoch,
        options.firstSeq + simulation.seq,
        options.t,
        simulation.sprites(),
        events,
      ),
    )
    return texts
  })

describe('binary codec', () => {
  it('decodes every simulated frame and snapshot to what its JSON text parses to', () => {
    fc.assert(
      fc.property(simulatedMessages, (texts) => {
        for (const text of texts) {
          const binary = binaryFromJson(text)
          expect(binary).not.toBeNull()
          if (binary === null) return
          expect(decodeBinaryMessage(binary)).toStrictEqual(JSON.parse(text) as ServerMessage)
          expect(binary.length).toBeLessThan(text.length)
        }
      }),
      { numRuns: 150 },
    )
  })

  it('puts seq and t at fixed offsets, little-endian', () => {
    const bytes = encodeBinaryMessage({
      type: 'frame',
      epoch: 'e',
      seq: 2 ** 40 + 7,
      t: 1.25,
      sprites: [],
      events: [],
    })
    const view = new DataView(bytes.buffer)
    expect(view.getUint32(OFFSET_SEQ_LOW, true)).toBe(7)
    expect(view.getUint32(OFFSET_SEQ_LOW + 4, true)).toBe(2 ** 8)
    expect(view.getFloat64(OFFSET_T, true)).toBe(1.25)
    expect(bytes.length).toBe(HEADER_BYTES + 1)
  })

  it('leaves reset, pong and error to JSON', () => {
    expect(binaryFromJson(encodeReset('e', 3, 'expired'))).toBeNull()
    expect(binaryFromJson('{"type":"pong","id":1,"t":2}')).toBeNull()
  })

  it.each([
    [
      'a coordinate finer than 1/100',
      { id: 0, x: 0.001, y: 0, vx: 0, vy: 0 },
      /multiple of 1\/100/,
    ],
    ['a sprite id past u16', { id: 70_000, x: 0, y: 0, vx: 0, vy: 0 }, /sprite id/],
  ])('refuses %s with a message naming it', (_name, sprite, message) => {
    expect(() =>
      encodeBinaryMessage({
        type: 'frame',
        epoch: 'e',
        seq: 1,
        t: 0,
        sprites: [sprite],
        events: [],
      }),
    ).toThrow(message)
  })

  it('refuses an event id it cannot rebuild from its index', () => {
    expect(() =>
      encodeBinaryMessage({
        type: 'snapshot',
        epoch: 'e',
        seq: 1,
        t: 0,
        sprites: [],
        events: [{ id: 'GAME-1', name: 'Game', score: 1, updatedSeq: 0 }],
      }),
    ).toThrow(/EVENT#NN/)
  })

  it('refuses truncated bytes and an unknown kind', () => {
    const bytes = encodeBinaryMessage({
      type: 'frame',
      epoch: 'abc',
      seq: 1,
      t: 0,
      sprites: [{ id: 0, x: 1, y: 2, vx: 3, vy: 4 }],
      events: [],
    })
    expect(() => decodeBinaryMessage(bytes.subarray(0, bytes.length - 1))).toThrow(/announces/)
    const other = bytes.slice()
    other[0] = 9
    expect(() => decodeBinaryMessage(other)).toThrow(/kind byte 9/)
  })
})

import { describe, expect, it } from 'vitest'
import { decodeBinaryMessage } from './binary-codec.ts'
import { Feed } from './feed.ts'
import { base64TickText, binaryTickBytes, sseDataOf } from './tick-encodings.ts'

const feed = (): Feed =>
  new Feed({ rate: 10, sprites: 3, events: 5, pad: 0, history: 10, seed: 7, epoch: 'e' })

describe('tick encodings', () => {
  it('builds one binary form per tick, shared by every caller', () => {
    const tick = feed().tick()
    const bytes = binaryTickBytes(tick)
    expect(binaryTickBytes(tick)).toBe(bytes)
    expect(base64TickText(tick)).toBe(base64TickText(tick))
    expect(Buffer.from(base64TickText(tick), 'base64').equals(bytes)).toBe(true)
    expect(decodeBinaryMessage(bytes)).toStrictEqual(JSON.parse(tick.text))
  })

  it('gives a new tick its own bytes', () => {
    const source = feed()
    const first = source.tick()
    const second = source.tick()
    expect(decodeBinaryMessage(binaryTickBytes(second)).seq).toBe(
      decodeBinaryMessage(binaryTickBytes(first)).seq + 1,
    )
  })

  it('turns replayed frames and snapshots into base64 for SSE and leaves resets as JSON', () => {
    const source = feed()
    source.tick()
    const catchUp = source.catchUp({ epoch: 'other', since: 0 })
    const [reset, snapshot] = catchUp.messages.map((message) => sseDataOf(message, 'binary'))
    expect(reset).toBe(catchUp.messages[0])
    expect(decodeBinaryMessage(Buffer.from(snapshot ?? '', 'base64'))).toStrictEqual(
      JSON.parse(catchUp.messages[1] ?? ''),
    )
    expect(sseDataOf(catchUp.messages[1] ?? '', 'json')).toBe(catchUp.messages[1])
  })
})

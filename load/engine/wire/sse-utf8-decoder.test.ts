import { describe, expect, it } from 'vitest'
import { SseUtf8Decoder } from './sse-utf8-decoder.ts'

describe('SseUtf8Decoder', () => {
  const text = 'data: é€𝄞 ok\n\n'
  const bytes = Buffer.from(text)

  it('decodes text cut at every byte boundary, carrying split characters', () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoder = new SseUtf8Decoder()
      // Stale bytes around the range, as in the shared read buffer.
      const a = Buffer.concat([Buffer.from([0xe2]), bytes.subarray(0, cut), Buffer.from([0x82])])
      const b = Buffer.concat([Buffer.from([0xf0]), bytes.subarray(cut), Buffer.from([0x9d])])
      const out = decoder.decode(a, 1, 1 + cut) + decoder.decode(b, 1, 1 + bytes.length - cut)
      expect(out).toBe(text)
      expect(decoder.pending).toBe(0)
    }
  })

  it('decodes text fed one byte at a time', () => {
    const decoder = new SseUtf8Decoder()
    let out = ''
    for (let i = 0; i < bytes.length; i++) out += decoder.decode(bytes, i, i + 1)
    expect(out).toBe(text)
  })
})

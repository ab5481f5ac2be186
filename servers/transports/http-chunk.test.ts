import { describe, expect, it } from 'vitest'
import { encodeChunk } from './http-chunk.ts'

describe('encodeChunk', () => {
  it('frames data as <hex size>CRLF<data>CRLF, byte for byte', () => {
    expect(encodeChunk(Buffer.from('hello')).toString('latin1')).toBe('5\r\nhello\r\n')
    const data = Buffer.alloc(255, 0x61)
    expect(encodeChunk(data).toString('latin1')).toBe(`ff\r\n${'a'.repeat(255)}\r\n`)
  })

  it('counts bytes, not characters, for multi-byte UTF-8', () => {
    const data = Buffer.from('é€😀')
    const chunk = encodeChunk(data)
    expect(chunk.subarray(0, 3).toString('latin1')).toBe(`${data.length.toString(16)}\r\n`)
    expect(chunk.subarray(3, 3 + data.length).equals(data)).toBe(true)
    expect(chunk.subarray(3 + data.length).toString('latin1')).toBe('\r\n')
  })

  it('refuses empty data, which would be the last-chunk marker', () => {
    expect(() => encodeChunk(Buffer.alloc(0))).toThrow(/must not be empty/)
  })
})

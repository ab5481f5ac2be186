import { describe, expect, it } from 'vitest'
import type { HttpResponseHead } from './http-response-parser.ts'
import { canonicalHeaderName, HttpResponseParser, PARSE_FAILED } from './http-response-parser.ts'

/** Feeds `wire` in the given pieces; returns what the parser reported. */
function parse(
  pieces: Buffer[],
  noBody = false,
): {
  head: HttpResponseHead | undefined
  body: string
  complete: boolean
  failed: string
  rest: number
} {
  let head: HttpResponseHead | undefined
  const body: Buffer[] = []
  let complete = false
  const parser = new HttpResponseParser({
    onHead(value) {
      head = value
    },
    onBody(buffer, start, end) {
      // Copy: the caller's buffer is reused, as the shared read buffer is.
      body.push(Buffer.from(buffer.subarray(start, end)))
    },
    onComplete() {
      complete = true
    },
  })
  parser.reset(noBody)
  let rest = 0
  for (const piece of pieces) {
    // Put each piece inside a larger buffer with stale bytes around it, as a reused buffer holds.
    const padded = Buffer.concat([Buffer.from('XX\r\n\r\n'), piece, Buffer.from('\r\n\r\nYY')])
    const at = parser.feed(padded, 6, 6 + piece.length)
    if (at === PARSE_FAILED) return { head, body: '', complete, failed: parser.error, rest }
    rest += 6 + piece.length - at
  }
  return { head, body: Buffer.concat(body).toString(), complete, failed: '', rest }
}

/** Every way of cutting `wire` into two pieces, and into single bytes. */
function splits(wire: Buffer): Buffer[][] {
  const all: Buffer[][] = []
  for (let cut = 0; cut <= wire.length; cut++) all.push([wire.subarray(0, cut), wire.subarray(cut)])
  all.push([...wire].map((byte) => Buffer.from([byte])))
  return all
}

const JSON_BODY = '{"next":7,"é":1}'
const contentLength = Buffer.from(
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nETag: "e:7"\r\nContent-Length: ${Buffer.byteLength(JSON_BODY)}\r\n\r\n${JSON_BODY}`,
)
const chunked = Buffer.from(
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
    '5;ext=1\r\nhello\r\n' +
    '1\r\n \r\n' +
    'A\r\n0123456789\r\n' +
    '0\r\nX-Trailer: t\r\n\r\n',
)

describe('HttpResponseParser', () => {
  it('reads a Content-Length body split at every byte boundary', () => {
    for (const pieces of splits(contentLength)) {
      const result = parse(pieces)
      expect(result.failed).toBe('')
      expect(result.complete).toBe(true)
      expect(result.body).toBe(JSON_BODY)
      expect(result.head?.status).toBe(200)
      expect(result.head?.statusText).toBe('200 OK')
      expect(result.head?.headers).toEqual({
        'Content-Type': 'application/json',
        Etag: '"e:7"',
        'Content-Length': String(Buffer.byteLength(JSON_BODY)),
      })
      expect(result.head?.keepAlive).toBe(true)
    }
  })

  it('removes chunked framing (extensions, trailers) split at every byte boundary', () => {
    for (const pieces of splits(chunked)) {
      const result = parse(pieces)
      expect(result.failed).toBe('')
      expect(result.complete).toBe(true)
      expect(result.body).toBe('hello 0123456789')
      expect(result.rest).toBe(0)
    }
  })

  it('ends bodiless responses at the head: 304, 204 and any reply to HEAD', () => {
    const notModified = parse([
      Buffer.from('HTTP/1.1 304 Not Modified\r\nETag: "e:7"\r\nContent-Length: 99\r\n\r\n'),
    ])
    expect(notModified.complete).toBe(true)
    expect(notModified.head?.headers['Etag']).toBe('"e:7"')
    expect(parse([Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')]).complete).toBe(true)
    const head = parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n')], true)
    expect(head.complete).toBe(true)
    expect(head.body).toBe('')
  })

  it('skips 1xx interim responses and reports the final one', () => {
    const result = parse([
      Buffer.from(
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok',
      ),
    ])
    expect(result.head?.status).toBe(201)
    expect(result.body).toBe('ok')
  })

  it('reports Connection: close and HTTP/1.0 as not keep-alive, and a close-delimited body', () => {
    expect(
      parse([Buffer.from('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')]).head
        ?.keepAlive,
    ).toBe(false)
    const parser = new HttpResponseParser({
      onHead: () => undefined,
      onBody: () => undefined,
      onComplete: () => undefined,
    })
    parser.reset(false)
    parser.feed(Buffer.from('HTTP/1.0 200 OK\r\n\r\nsome bytes'), 0, 29)
    expect(parser.complete).toBe(false)
    expect(parser.endOfInput()).toBe(true)
    expect(parser.complete).toBe(true)
  })

  it('returns where the response ended when more bytes follow it', () => {
    const wire = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA')
    const parser = new HttpResponseParser({
      onHead: () => undefined,
      onBody: () => undefined,
      onComplete: () => undefined,
    })
    parser.reset(false)
    expect(parser.feed(wire, 0, wire.length)).toBe(wire.length - 5)
  })

  it('refuses malformed responses with a message naming the fault', () => {
    expect(parse([Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')]).failed).toMatch(/bad status line/)
    expect(
      parse([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n')])
        .failed,
    ).toMatch(/bad Content-Length/)
    expect(
      parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n')]).failed,
    ).toMatch(/chunk size expected/)
    expect(
      parse([Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n')])
        .failed,
    ).toMatch(/longer than its size/)
    expect(parse([Buffer.from('HTTP/1.1 200 OK\r\nno colon\r\n\r\n')]).failed).toMatch(
      /bad header line/,
    )
    expect(parse([Buffer.from(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`)]).failed).toMatch(
      /head longer than/,
    )
  })
})

describe('canonicalHeaderName', () => {
  it('writes header names as Go does', () => {
    expect(canonicalHeaderName('etag')).toBe('Etag')
    expect(canonicalHeaderName('CONTENT-TYPE')).toBe('Content-Type')
    expect(canonicalHeaderName('x-request-id')).toBe('X-Request-Id')
  })
})

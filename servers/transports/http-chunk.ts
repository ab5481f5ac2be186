/**
 * HTTP/1.1 chunked transfer coding (RFC 9112 §7.1) for bytes written straight to a
 * response's socket: the size line, the data and the closing CRLF as one Buffer, built once
 * and written to many sockets. No I/O here.
 */

const CRLF = Buffer.from('\r\n')

/**
 * One chunk carrying `data`: `<size in hex>\r\n<data>\r\n`. Empty data would be the
 * last-chunk marker and end the body, so it is refused.
 *
 * @throws RangeError when `data` is empty.
 */
export function encodeChunk(data: Buffer): Buffer {
  if (data.length === 0) {
    throw new RangeError('encodeChunk: data must not be empty (a zero-size chunk ends the body)')
  }
  const head = Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1')
  return Buffer.concat([head, data, CRLF], head.length + data.length + CRLF.length)
}

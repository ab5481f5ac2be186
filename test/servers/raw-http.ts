/**
 * One raw HTTP exchange over a TCP socket, for requests no HTTP client would send: bad
 * request-targets, HTTP/1.0 upgrades, handshakes without Host, bytes that are not HTTP,
 * pipelined requests.
 */
import { connect } from 'node:net'

/** The header lines of a valid WebSocket handshake (with RFC 6455's sample key). */
export const WEBSOCKET_UPGRADE_LINES: readonly string[] = [
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version: 13',
]

/** {@link WEBSOCKET_UPGRADE_LINES} as raw text, each line ending in CRLF. */
export const WEBSOCKET_HEADERS = WEBSOCKET_UPGRADE_LINES.map((line) => `${line}\r\n`).join('')

/** What came back: the status (0 when nothing parseable did) and the text as received. */
export interface RawAnswer {
  status: number
  text: string
}

/**
 * Writes `request` to 127.0.0.1:`port` and resolves once a whole answer is in (headers and a
 * `Content-Length` body, or a `101`), the peer closes, or `timeoutMs` passes.
 */
export function rawExchange(port: number, request: string, timeoutMs = 2000): Promise<RawAnswer> {
  return rawRead(port, request, oneAnswer, timeoutMs)
}

/**
 * Writes `request` and reads until `complete(text)` holds, the peer closes, or `timeoutMs`
 * passes; the status is that of the first answer.
 */
export function rawRead(
  port: number,
  request: string | Buffer,
  complete: (text: string) => boolean,
  timeoutMs = 2000,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    const done = (): void => {
      clearTimeout(timer)
      socket.destroy()
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]
      resolve({ status: status === undefined ? 0 : Number(status), text })
    }
    const timer = setTimeout(done, timeoutMs)
    socket.on('data', (chunk) => {
      text += chunk.toString()
      if (complete(text)) done()
    })
    socket.on('error', done)
    socket.on('close', done)
    socket.write(request)
  })
}

/**
 * `HEAD path`, then `GET /healthz` pipelined on the same connection to 127.0.0.1:`port`:
 * the answers as received, split at each status line (a body of the HEAD would sit
 * between them).
 */
export async function headThenHealth(port: number, path: string): Promise<string[]> {
  const request = `HEAD ${path} HTTP/1.1\r\nHost: lab.example\r\n\r\nGET /healthz HTTP/1.1\r\nHost: lab.example\r\n\r\n`
  const { text } = await rawRead(port, request, (got) => got.includes('"status":"ok"'))
  return text.split(/(?=HTTP\/1\.1 \d{3} )/)
}

/** True once `text` holds one whole answer: a `101`, or headers and their `Content-Length` body. */
function oneAnswer(text: string): boolean {
  const end = text.indexOf('\r\n\r\n')
  if (end === -1) return false
  if (text.startsWith('HTTP/1.1 101')) return true
  const length = /content-length: (\d+)/i.exec(text.slice(0, end))?.[1]
  return length === undefined || Buffer.byteLength(text.slice(end + 4)) >= Number(length)
}

/**
 * The fuzzer's grammar of hostile HTTP/1.1 input, as fast-check arbitraries: methods; every
 * request-target form on every entry point; headers with duplicates, obs-fold, NUL, over-long
 * values and thousands of lines; Content-Length / Transfer-Encoding conflicts, chunked
 * garbage, truncated bodies; cursors, `Last-Event-ID`, cookies, tokens, and ping, control and
 * lab message bodies; several requests pipelined on one connection.
 *
 * A new entry point of the servers joins {@link ENTRY_PATHS} (and its parameters
 * {@link QUERY_KEYS}, its bodies {@link messageBody}) in the same commit; a protocol's path
 * joins from the protocol table by itself.
 */
import fc from 'fast-check'
import { PROTOCOL_TABLE, PROTOCOLS } from '../../servers/transports/protocols.ts'
import { WEBSOCKET_HEADERS, WEBSOCKET_UPGRADE_LINES } from '../servers/raw-http.ts'

/** Every path a peer can reach on the reference server, its labs and the baseline. */
export const ENTRY_PATHS = [
  '/',
  ...PROTOCOLS.map((protocol) => PROTOCOL_TABLE[protocol].path),
  '/api/ping',
  '/api/control',
  '/api/events',
  '/api/events/EVENT%2300',
  '/api/events/%zz',
  '/api/feed',
  '/api/links',
  '/healthz',
  '/metrics',
  '/labs',
  '/labs/echo',
  '/labs/broadcast',
  '/labs/chat',
  '/labs/whiteboard',
  '/labs/echo/sse',
  '/labs/chat/sse',
  '/labs/chat/rooms',
  '/labs/chat/rooms/lobby',
  '/labs/whiteboard/rooms/%',
  '/live/',
] as const

/** Query parameters the entry points read. */
export const QUERY_KEYS = [
  'epoch',
  'since',
  'wait',
  'session',
  'lastEventId',
  'access_token',
  'room',
  'user',
] as const

/** Values that have broken parsers somewhere: numbers at the edges, escapes, separators. */
const EDGE_VALUES = [
  '',
  '0',
  '-1',
  '1e400',
  '9007199254740992',
  '99999999999999999999',
  'NaN',
  'new',
  '%',
  '%zz',
  '%E0%A4%A',
  '%00',
  'a:1',
  ':',
  'e:-1',
  '[',
  '..',
  '\u00e9',
  'x'.repeat(300),
]

const edgeOrAny = fc.oneof(
  fc.constantFrom(...EDGE_VALUES),
  fc.string({ maxLength: 24 }),
  fc.nat({ max: 2_000_000 }).map(String),
)

/** A query string: known keys (repeated at times) with edge values. */
const query = fc
  .array(fc.tuple(fc.constantFrom(...QUERY_KEYS, 'x'), edgeOrAny), { maxLength: 5 })
  .map((pairs) =>
    pairs.length === 0
      ? ''
      : `?${pairs.map(([key, value]) => `${key}=${encodeQueryValue(value)}`).join('&')}`,
  )

/** Percent-encodes what would end the request line, leaves the rest as the peer sent it. */
function encodeQueryValue(value: string): string {
  // Whitespace, '#' and control characters (String.raw keeps lint from reading them as literal).
  return value.replace(
    new RegExp(String.raw`[\s#\x00-\x1f\x7f]`, 'g'),
    (char) => `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`,
  )
}

const junk = fc.constantFrom('[', ']', '%', '%zz', ':', '@', '\\', '..', '.', '//', ';', '~', '%2F')

/** A request-target in every form a peer can send. */
export const target = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(...ENTRY_PATHS), query).map(([p, q]) => p + q) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(...ENTRY_PATHS), fc.array(junk, { maxLength: 4 }), query)
      .map(([p, j, q]) => p + j.join('') + q),
  },
  {
    weight: 2,
    arbitrary: fc.array(junk, { minLength: 1, maxLength: 5 }).map((parts) => `//${parts.join('')}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '//[',
      '//a:99999/',
      '//%',
      '//[::1]:0/ws',
      '/%',
      '/%%',
      '/\\..\\sse',
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('http', 'https', 'HTTP', 'ftp', 'ws'),
        fc.constantFrom('lab.example', '[', '[::1]', '127.0.0.1:99999', 'a:b', '', '%'),
        fc.constantFrom(...ENTRY_PATHS),
        query,
      )
      .map(([scheme, host, p, q]) => `${scheme}://${host}${p}${q}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('*', 'lab.example:443', '127.0.0.1:80', '[::1]:8080') },
  {
    weight: 1,
    arbitrary: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !/[\s]/.test(s)),
  },
)

/** A request method: the real ones, a lower-case one, an invented token. */
export const method = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
  },
  { weight: 1, arbitrary: fc.constantFrom('get', 'TRACE', 'CONNECT', 'PRI', 'BREW', 'G\x01T') },
)

const version = fc.oneof(
  { weight: 10, arbitrary: fc.constant('HTTP/1.1') },
  { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/0.9', 'HTTP/1.1x', '') },
)

/** A JWT-shaped string, a garbage token or an empty one. */
const token = fc.oneof(
  fc.constantFrom('', 'a.b.c', 'eyJhbGciOiJub25lIn0.e30.', 'x'.repeat(2000)),
  fc.base64String({ maxLength: 80 }),
)

/** A body an entry point decodes: ping, control and lab messages, and garbage. */
export const messageBody = fc.oneof(
  fc.constantFrom(
    '{"type":"ping","id":1}',
    '{"type":"control","action":"stop"}',
    '{"type":"control","action":"start","session":"x"}',
    '{"type":"control","action":"drop","session":"%"}',
    '{"type":"join","room":"lobby","user":"fuzz"}',
    '{"type":"say","text":"hi"}',
    '{"type":"stroke","points":[[0,0],[1e308,-1e308]]}',
    '{"type":"ping","id":{"deep":[[[[[[]]]]]]}}',
    '{"__proto__":{"polluted":1},"type":"ping","id":1}',
    '[]',
    'null',
    '{"type":',
    '\u0000',
  ),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
)

const headerName = fc.oneof(
  fc.constantFrom(
    'Host',
    'Origin',
    'Cookie',
    'Authorization',
    'Last-Event-ID',
    'Content-Type',
    'Content-Encoding',
    'Accept',
    'X-Forwarded-For',
    'If-None-Match',
    'Sec-WebSocket-Protocol',
    'Connection',
  ),
  fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/),
)

const headerValue = fc.oneof(
  { weight: 6, arbitrary: edgeOrAny.map((value) => value.replace(/[\r\n]/g, '')) },
  { weight: 1, arbitrary: token.map((t) => `Bearer ${t}`) },
  { weight: 1, arbitrary: token.map((t) => `rl_token=${t}; rl_token=%E0%A4%A`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'gzip',
      'x-unknown',
      'deflate, br',
      'http://evil.example',
      'null',
      'e:1, e:2',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('a\x00b', 'x'.repeat(9000), 'v\r\n folded') },
)

/** One header line (or an obs-fold pair); value characters that end a line are kept out. */
const headerLine = fc.tuple(headerName, headerValue).map(([name, value]) => `${name}: ${value}`)

/** How the body is framed: length, chunked, both, truncated, chunked garbage, none. */
const framing = fc.constantFrom(
  'length',
  'chunked',
  'both',
  'truncated',
  'bad-chunk',
  'none',
  'two-lengths',
)

/** One hostile request as raw text. */
export const request = fc
  .record({
    method,
    target,
    version,
    host: fc.constantFrom('ok', 'ok', 'ok', 'none', 'twice', 'empty'),
    upgrade: fc.boolean(),
    headers: fc.array(headerLine, { maxLength: 6 }),
    many: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 0, 200, 3000),
    framing,
    body: messageBody,
  })
  .map((r) => {
    const lines = [`${r.method} ${r.target} ${r.version}`.trimEnd()]
    if (r.host === 'ok') lines.push('Host: lab.example')
    else if (r.host === 'twice') lines.push('Host: a.example', 'Host: b.example')
    else if (r.host === 'empty') lines.push('Host:')
    if (r.upgrade) lines.push(...WEBSOCKET_UPGRADE_LINES)
    lines.push(...r.headers)
    for (let i = 0; i < r.many; i++) lines.push(`X-Filler-${i}: ${i}`)
    const body = Buffer.from(r.body)
    let payload = ''
    switch (r.framing) {
      case 'length':
        lines.push(`Content-Length: ${body.length}`)
        payload = r.body
        break
      case 'chunked':
        lines.push('Transfer-Encoding: chunked')
        payload = `${body.length.toString(16)}\r\n${r.body}\r\n0\r\n\r\n`
        break
      case 'both':
        lines.push(`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked')
        payload = `${body.length.toString(16)}\r\n${r.body}\r\n0\r\n\r\n`
        break
      case 'truncated':
        lines.push(`Content-Length: ${body.length + 100}`)
        payload = r.body
        break
      case 'bad-chunk':
        lines.push('Transfer-Encoding: chunked')
        payload = `zz\r\n${r.body}\r\nffffffffffffffff\r\n`
        break
      case 'two-lengths':
        lines.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`)
        payload = r.body
        break
      case 'none':
        break
    }
    return `${lines.join('\r\n')}\r\n\r\n${payload}`
  })

/** One connection's worth of input: one to three requests, pipelined. */
export const connectionInput = fc
  .array(request, { minLength: 1, maxLength: 3 })
  .map((requests) => requests.join(''))

/** One WebSocket frame as a client could send it, valid or not. */
const frame = fc
  .record({
    fin: fc.boolean(),
    rsv: fc.oneof(
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) },
    ),
    opcode: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(0x0, 0x1, 0x2, 0x8, 0x9, 0xa) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) },
    ),
    masked: fc.oneof(
      { weight: 8, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constant(false) },
    ),
    payload: fc.oneof(
      messageBody.map((text) => Buffer.from(text)),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
      // A close payload: a code (valid, reserved or out of range) and a reason, or one byte.
      fc
        .tuple(
          fc.constantFrom(1000, 1001, 1005, 1006, 1015, 999, 0, 4999, 5000, 65535),
          fc.string({ maxLength: 20 }),
        )
        .map(([code, reason]) =>
          Buffer.concat([Buffer.from([code >> 8, code & 0xff]), Buffer.from(reason)]),
        ),
      fc.constant(Buffer.from([0x03])),
      // Half of a multi-byte UTF-8 character: fragments may split one.
      fc.constantFrom(Buffer.from([0xe2, 0x82]), Buffer.from([0xac]), Buffer.from([0xff, 0xfe])),
    ),
    // How the length is written: the shortest form, a longer form than needed, or a lie.
    lengthForm: fc.constantFrom('short', 'short', 'short', 'medium', 'long', 'lie-more', 'huge'),
    mask: fc.uint8Array({ minLength: 4, maxLength: 4 }),
  })
  .map((f) => {
    const length = f.payload.length
    const head: number[] = [(f.fin ? 0x80 : 0) | (f.rsv << 4) | f.opcode]
    const maskBit = f.masked ? 0x80 : 0
    if (f.lengthForm === 'short' && length < 126) head.push(maskBit | length)
    else if (f.lengthForm === 'huge')
      head.push(maskBit | 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
    else if (f.lengthForm === 'long' || length >= 65536) {
      head.push(
        maskBit | 127,
        0,
        0,
        0,
        0,
        (length >>> 24) & 0xff,
        (length >>> 16) & 0xff,
        (length >>> 8) & 0xff,
        length & 0xff,
      )
    } else {
      const written = f.lengthForm === 'lie-more' ? length + 1000 : length
      head.push(maskBit | 126, (written >> 8) & 0xff, written & 0xff)
    }
    const body = Buffer.from(f.payload)
    if (f.masked) {
      head.push(...f.mask)
      for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (f.mask[i % 4] ?? 0)
    }
    return Buffer.concat([Buffer.from(head), body])
  })

/** Paths that answer a WebSocket handshake. */
const WEBSOCKET_PATHS = [
  ...PROTOCOLS.filter((protocol) => PROTOCOL_TABLE[protocol].upgrade).map(
    (protocol) => PROTOCOL_TABLE[protocol].path,
  ),
  '/labs/echo',
  '/labs/broadcast',
  '/labs/chat',
  '/labs/whiteboard',
] as const

/**
 * A valid handshake on a WebSocket path (with a cursor or room at times), then frames:
 * opcodes, RSV bits, masked or not, every length form, fragments, control frames, close
 * payloads and split UTF-8.
 */
export const websocketSession = fc
  .tuple(
    fc.constantFrom(...WEBSOCKET_PATHS),
    query,
    fc.array(frame, { minLength: 1, maxLength: 8 }),
  )
  .map(([path, q, frames]) =>
    Buffer.concat([
      Buffer.from(`GET ${path}${q} HTTP/1.1\r\nHost: lab.example\r\n${WEBSOCKET_HEADERS}\r\n`),
      ...frames,
    ]),
  )

/** One connection's worth of input: pipelined HTTP requests, or a WebSocket session. */
export const fuzzInput: fc.Arbitrary<string | Buffer> = fc.oneof(
  { weight: 4, arbitrary: connectionInput },
  { weight: 1, arbitrary: websocketSession },
)

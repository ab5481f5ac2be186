import { describe, expect, it } from 'vitest'
import {
  buildUpgradeRequest,
  checkUpgradeResponse,
  createHandshakeKey,
  expectedAccept,
} from './websocket-handshake.ts'

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='

function response(extra = '', accept = expectedAccept(KEY)): string {
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}${extra}`
}

describe('websocket handshake', () => {
  it("computes RFC 6455's sample Sec-WebSocket-Accept and makes 16-byte random keys", () => {
    expect(expectedAccept(KEY)).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
    const key = createHandshakeKey()
    expect(Buffer.from(key, 'base64')).toHaveLength(16)
    expect(createHandshakeKey()).not.toBe(key)
  })

  it('builds the upgrade request with subprotocols and extra headers', () => {
    const request = buildUpgradeRequest({
      host: 'example.test:8080',
      path: '/ws?since=3',
      key: KEY,
      protocols: ['feed.v1', 'feed.v2'],
      headers: { Authorization: 'Bearer x' },
    })
    expect(request).toBe(
      'GET /ws?since=3 HTTP/1.1\r\nHost: example.test:8080\r\nUpgrade: websocket\r\n' +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n` +
        'Sec-WebSocket-Protocol: feed.v1, feed.v2\r\nAuthorization: Bearer x\r\n\r\n',
    )
  })

  it.each([
    [{ protocols: ['bad protocol'] }, /invalid WebSocket subprotocol "bad protocol"/],
    [{ headers: { 'X-Evil': 'a\r\nInjected: 1' } }, /invalid request header "X-Evil"/],
    [{ headers: { 'Sec-WebSocket-Key': 'mine' } }, /set by the WebSocket handshake itself/],
  ])('refuses misuse %j', (extra, message) => {
    expect(() =>
      buildUpgradeRequest({ host: 'h', path: '/', key: KEY, protocols: [], ...extra }),
    ).toThrow(message)
  })

  it.each([
    [response(), [], { ok: true, protocol: '' }],
    [response('\r\nSec-WebSocket-Protocol: b'), ['a', 'b'], { ok: true, protocol: 'b' }],
    // Header names and the Upgrade/Connection values are case-insensitive.
    [
      `HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\nsec-websocket-accept: ${expectedAccept(KEY)}`,
      [],
      { ok: true, protocol: '' },
    ],
    [
      'HTTP/1.1 403 Forbidden\r\nContent-Length: 0',
      [],
      {
        ok: false,
        status: 403,
        message: expect.stringMatching(/^unexpected server response: 403 Forbidden/) as unknown,
      },
    ],
    [
      response('', 'wrong='),
      [],
      { ok: false, status: 101, message: 'invalid Sec-WebSocket-Accept header' },
    ],
    [
      response('\r\nSec-WebSocket-Extensions: permessage-deflate'),
      [],
      { ok: false, status: 101, message: expect.stringMatching(/extension/) as unknown },
    ],
    [
      response('\r\nSec-WebSocket-Protocol: c'),
      ['a'],
      {
        ok: false,
        status: 101,
        message: expect.stringMatching(/"c", which the client did not offer/) as unknown,
      },
    ],
    [
      response('\r\nno colon here'),
      [],
      { ok: false, status: 101, message: 'malformed response header "no colon here"' },
    ],
  ])('judges %j (offered %j)', (head, protocols, verdict) => {
    expect(checkUpgradeResponse(head, KEY, protocols)).toEqual(verdict)
  })
})

/**
 * RFC 6455 conformance of the WebSocket transport over a raw TCP peer, grouped like
 * Autobahn|Testsuite's case categories 1–7: framing, pings/pongs, reserved bits, opcodes,
 * fragmentation, UTF-8 handling and close handling.
 *
 * Every case ends by checking that the process is still serving: a second, well-behaved
 * client keeps receiving frames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer } from '../../servers/main.ts'
import {
  acceptFor,
  closePayload,
  Opcode,
  RawWebSocket,
  rawRequest,
  type FrameSpec,
} from './raw-websocket.ts'

let server: Awaited<ReturnType<typeof startServer>>
let wsUrl: string
let watcher: RawWebSocket

beforeAll(async () => {
  server = await startServer({ port: 0, rate: 50 })
  wsUrl = `${server.url.replace(/\/$/, '')}/ws`
  watcher = await RawWebSocket.open(wsUrl)
})

afterAll(async () => {
  watcher.destroy()
  await server.close()
})

const isText = (opcode: number) => opcode === Opcode.text

/** Asserts that the well-behaved watcher still receives feed frames after a case. */
async function expectOthersUnaffected(): Promise<void> {
  watcher.discard()
  const frame = await watcher.next((f) => isText(f.opcode) && f.payload.includes('"frame"'), 3_000)
  expect(frame, 'the other client stopped receiving frames').not.toBeNull()
}

/** Expects the server to close with `code` and then end the TCP connection. */
async function expectClose(peer: RawWebSocket, code: number): Promise<void> {
  const close = await peer.closeFrame()
  expect(close?.code).toBe(code)
  expect(await peer.ended()).toBe(true)
}

/** The server's reply to a message it could not use: an `error` message, socket still open. */
async function expectErrorMessage(peer: RawWebSocket): Promise<void> {
  const reply = await peer.next((f) => isText(f.opcode) && f.payload.includes('"type":"error"'))
  expect(reply, 'no error message').not.toBeNull()
  const ping = await pingRoundTrip(peer, 'still-open')
  expect(ping).toBe(true)
}

/** Sends an application ping and waits for its pong message: proves the socket is usable. */
async function pingRoundTrip(peer: RawWebSocket, id: string): Promise<boolean> {
  peer.send({ opcode: Opcode.text, payload: JSON.stringify({ type: 'ping', id }) })
  const pong = await peer.next(
    (f) => isText(f.opcode) && f.payload.includes('"pong"') && f.payload.includes(id),
  )
  return pong !== null
}

describe('RFC 6455 over a raw socket', () => {
  describe('1 · framing', () => {
    it.each([0, 1, 125, 126, 127, 128, 65_535, 65_536 - 1024])(
      'answers a text message of %i bytes that is not JSON with an error message and stays open',
      async (length) => {
        const peer = await RawWebSocket.open(wsUrl)
        peer.send({ opcode: Opcode.text, payload: 'x'.repeat(length) })
        await expectErrorMessage(peer)
        peer.destroy()
        await expectOthersUnaffected()
      },
    )

    it('answers a binary message with an error message and stays open', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send({ opcode: Opcode.binary, payload: Buffer.from([0, 1, 2, 255]) })
      await expectErrorMessage(peer)
      peer.destroy()
    })

    it('closes with 1009 when a message exceeds the 64 KiB limit', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send({ opcode: Opcode.text, payload: 'x'.repeat(64 * 1024 + 1) })
      await expectClose(peer, 1009)
      await expectOthersUnaffected()
    })

    it('closes with 1002 when a client frame is not masked', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send({ opcode: Opcode.text, payload: '{"type":"ping","id":1}', mask: false })
      await expectClose(peer, 1002)
      await expectOthersUnaffected()
    })

    it('sends its own frames unmasked', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      const first = await peer.next((f) => isText(f.opcode))
      expect(first?.masked).toBe(false)
      expect(first?.payload.toString()).toMatch(/^\{"type":"snapshot"/)
      peer.destroy()
    })
  })

  describe('2 · pings and pongs', () => {
    it.each([0, 10, 125])(
      'answers a ping with %i bytes of payload with a pong echoing it',
      async (n) => {
        const peer = await RawWebSocket.open(wsUrl)
        const payload = Buffer.alloc(n, 0x2a)
        peer.send({ opcode: Opcode.ping, payload })
        const pong = await peer.next((f) => f.opcode === Opcode.pong)
        expect(pong?.payload.equals(payload)).toBe(true)
        peer.destroy()
      },
    )

    it('closes with 1002 on a ping whose payload is over 125 bytes', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send({ opcode: Opcode.ping, payload: Buffer.alloc(126) })
      await expectClose(peer, 1002)
      await expectOthersUnaffected()
    })

    it('ignores an unsolicited pong', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send({ opcode: Opcode.pong, payload: 'unsolicited' })
      expect(await pingRoundTrip(peer, 'after-pong')).toBe(true)
      peer.destroy()
    })

    it('answers ten pings in a row, in order', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      const sent = Array.from({ length: 10 }, (_, i) => ({ opcode: Opcode.ping, payload: `p${i}` }))
      peer.send(...sent)
      for (let i = 0; i < 10; i++) {
        const pong = await peer.next((f) => f.opcode === Opcode.pong)
        expect(pong?.payload.toString()).toBe(`p${i}`)
      }
      peer.destroy()
    })
  })

  describe('3 · reserved bits', () => {
    it.each([
      ['RSV1 on a text frame (no extension negotiated)', { opcode: Opcode.text, rsv: 4 }],
      ['RSV2 on a text frame', { opcode: Opcode.text, rsv: 2 }],
      ['RSV3 on a binary frame', { opcode: Opcode.binary, rsv: 1 }],
      ['all RSV bits on a ping', { opcode: Opcode.ping, rsv: 7 }],
    ] satisfies [string, FrameSpec][])('closes with 1002 on %s', async (_name, spec) => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send({ ...spec, payload: '{"type":"ping","id":"rsv"}' })
      await expectClose(peer, 1002)
      await expectOthersUnaffected()
    })
  })

  describe('4 · opcodes', () => {
    it.each([3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf])(
      'closes with 1002 on reserved opcode %i',
      async (opcode) => {
        const peer = await RawWebSocket.open(wsUrl)
        peer.send({ opcode, payload: 'reserved' })
        await expectClose(peer, 1002)
        await expectOthersUnaffected()
      },
    )
  })

  describe('5 · fragmentation', () => {
    it('reassembles a text message sent in three fragments', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send(
        { opcode: Opcode.text, payload: '{"type":"pi', fin: false },
        { opcode: Opcode.continuation, payload: 'ng","id":"frag', fin: false },
        { opcode: Opcode.continuation, payload: 'mented"}' },
      )
      const pong = await peer.next((f) => isText(f.opcode) && f.payload.includes('"fragmented"'))
      expect(pong?.payload.toString()).toContain('"type":"pong"')
      peer.destroy()
    })

    it('answers a ping sent between the fragments of a message', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send(
        { opcode: Opcode.text, payload: '{"type":"ping",', fin: false },
        { opcode: Opcode.ping, payload: 'between' },
        { opcode: Opcode.continuation, payload: '"id":"interleaved"}' },
      )
      const control = await peer.next((f) => f.opcode === Opcode.pong)
      expect(control?.payload.toString()).toBe('between')
      const pong = await peer.next((f) => isText(f.opcode) && f.payload.includes('"interleaved"'))
      expect(pong).not.toBeNull()
      peer.destroy()
    })

    it.each([
      [
        'a continuation with no message to continue',
        [{ opcode: Opcode.continuation, payload: 'x' }],
      ],
      [
        'a new text frame inside a fragmented message',
        [
          { opcode: Opcode.text, payload: 'a', fin: false },
          { opcode: Opcode.text, payload: 'b' },
        ],
      ],
      ['a fragmented ping', [{ opcode: Opcode.ping, payload: 'a', fin: false }]],
      ['a fragmented close', [{ opcode: Opcode.close, payload: closePayload(1000), fin: false }]],
    ] satisfies [string, FrameSpec[]][])('closes with 1002 on %s', async (_name, specs) => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send(...specs)
      await expectClose(peer, 1002)
      await expectOthersUnaffected()
    })
  })

  describe('6 · UTF-8 handling', () => {
    it('accepts valid multi-byte UTF-8 split across fragments inside a code point', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      const text = Buffer.from('{"type":"ping","id":"κόσμε-🎯"}')
      const cut = text.indexOf(Buffer.from('🎯')) + 2
      peer.send(
        { opcode: Opcode.text, payload: text.subarray(0, cut), fin: false },
        { opcode: Opcode.continuation, payload: text.subarray(cut) },
      )
      const pong = await peer.next((f) => isText(f.opcode) && f.payload.includes('"pong"'))
      expect(pong?.payload.toString()).toContain('κόσμε-🎯')
      peer.destroy()
    })

    it.each([
      ['a lone continuation byte', Buffer.from([0x80])],
      ['an overlong encoding of "/"', Buffer.from([0xc0, 0xaf])],
      ['a UTF-16 surrogate', Buffer.from([0xed, 0xa0, 0x80])],
      ['a code point above U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
      ['a truncated sequence at the end', Buffer.from([0x7b, 0xe2, 0x82])],
    ])('closes with 1007 on a text message with %s', async (_name, payload) => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send({ opcode: Opcode.text, payload })
      await expectClose(peer, 1007)
      await expectOthersUnaffected()
    })
  })

  describe('7 · close handling', () => {
    it.each([1000, 1001, 1003, 1011, 3000, 4999])(
      'echoes a close with code %i and ends the connection',
      async (code) => {
        const peer = await RawWebSocket.open(wsUrl)
        peer.send({ opcode: Opcode.close, payload: closePayload(code, 'bye') })
        await expectClose(peer, code)
      },
    )

    it('answers an empty close with an empty close (1005 is never sent on the wire)', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send({ opcode: Opcode.close })
      expect((await peer.closeFrame())?.code).toBe(1005)
      expect(await peer.ended()).toBe(true)
    })

    it.each([0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65_535])(
      'closes with 1002 on a close with invalid code %i',
      async (code) => {
        const peer = await RawWebSocket.open(wsUrl)
        peer.send({ opcode: Opcode.close, payload: closePayload(code) })
        await expectClose(peer, 1002)
        await expectOthersUnaffected()
      },
    )

    it('closes with 1002 on a close whose payload is one byte', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send({ opcode: Opcode.close, payload: Buffer.from([0x03]) })
      await expectClose(peer, 1002)
    })

    it('closes with 1007 on a close reason that is not UTF-8', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send({ opcode: Opcode.close, payload: closePayload(1000, Buffer.from([0xff, 0xfe])) })
      await expectClose(peer, 1007)
    })

    it('ignores frames sent after its own close', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      peer.send(
        { opcode: Opcode.close, payload: closePayload(1000) },
        { opcode: Opcode.text, payload: '{"type":"ping","id":"late"}' },
      )
      expect((await peer.closeFrame())?.code).toBe(1000)
      const late = await peer.next((f) => f.payload.includes('"late"'), 500)
      expect(late).toBeNull()
    })

    it('survives a peer that drops the TCP connection mid-frame', async () => {
      const peer = await RawWebSocket.open(wsUrl)
      const frame = Buffer.concat([
        Buffer.from([0x81, 0xfe, 0x01, 0x00]),
        Buffer.alloc(4),
        Buffer.alloc(10, 0x41),
      ])
      peer.write(frame)
      peer.destroy()
      await expectOthersUnaffected()
    })
  })

  describe('opening handshake abuse', () => {
    const base = () => new URL(wsUrl)
    const request = (lines: string[]) => [...lines, '', ''].join('\r\n')

    it('answers 400 when Sec-WebSocket-Key is missing', async () => {
      const url = base()
      const status = await rawRequest(
        wsUrl,
        request([
          `GET ${url.pathname} HTTP/1.1`,
          `Host: ${url.host}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Version: 13',
        ]),
      )
      expect(status).toBe(400)
      await expectOthersUnaffected()
    })

    it('answers 400 (or 426) to an unsupported Sec-WebSocket-Version', async () => {
      const url = base()
      const status = await rawRequest(
        wsUrl,
        request([
          `GET ${url.pathname} HTTP/1.1`,
          `Host: ${url.host}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Version: 99',
        ]),
      )
      expect([400, 426]).toContain(status)
    })

    it('answers 431 (or 400) to a request with thousands of headers', async () => {
      const url = base()
      const many = Array.from({ length: 5_000 }, (_, i) => `X-Filler-${i}: ${'a'.repeat(20)}`)
      const status = await rawRequest(
        wsUrl,
        request([`GET ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, ...many]),
      )
      expect([400, 431]).toContain(status)
      await expectOthersUnaffected()
    })

    it('computes Sec-WebSocket-Accept as in RFC 6455 §1.3, and the server agrees', async () => {
      expect(acceptFor('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
      // open() rejects unless the server's accept value equals acceptFor(key).
      const peer = await RawWebSocket.open(wsUrl)
      peer.destroy()
    })
  })
})

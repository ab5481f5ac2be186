import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import type { WebSocket as ServerSocket } from 'ws'
import { OPCODE } from './websocket-constants.ts'
import type { WebSocketEvents } from './websocket-client.ts'
import { LeanWebSocket } from './websocket-client.ts'
import { RawWebSocketServer, acceptingResponse, serverFrame } from './websocket-test-server.ts'

type Event =
  | { kind: 'open'; protocol: string }
  | { kind: 'text'; text: string }
  | { kind: 'binary'; data: ArrayBuffer }
  | { kind: 'ping' | 'pong' }
  | { kind: 'error'; message: string }
  | { kind: 'close'; code: number; reason: string; wasClean: boolean }

/** A client whose events are recorded; `closed` resolves with its close event. */
function recordingClient(
  url: string,
  options: ConstructorParameters<typeof LeanWebSocket>[2] = {},
  onOpen?: (client: LeanWebSocket) => void,
): {
  client: LeanWebSocket
  events: Event[]
  closed: Promise<Extract<Event, { kind: 'close' }>>
  bytes: { received: number; sent: number }
} {
  const events: Event[] = []
  const bytes = { received: 0, sent: 0 }
  let resolveClosed: (event: Extract<Event, { kind: 'close' }>) => void = () => undefined
  const closed = new Promise<Extract<Event, { kind: 'close' }>>((resolve) => {
    resolveClosed = resolve
  })
  const handler: WebSocketEvents = {
    onOpen(protocol) {
      events.push({ kind: 'open', protocol })
      onOpen?.(client)
    },
    onText(text) {
      events.push({ kind: 'text', text })
    },
    onBinary(data) {
      events.push({ kind: 'binary', data })
    },
    onPing() {
      events.push({ kind: 'ping' })
    },
    onPong() {
      events.push({ kind: 'pong' })
    },
    onError(message) {
      events.push({ kind: 'error', message })
    },
    onClose(code, reason, wasClean) {
      const event = { kind: 'close' as const, code, reason, wasClean }
      events.push(event)
      resolveClosed(event)
    },
    onBytesReceived(n) {
      bytes.received += n
    },
    onBytesSent(n) {
      bytes.sent += n
    },
  }
  const client = new LeanWebSocket(url, handler, options)
  return { client, events, closed, bytes }
}

function until(check: () => boolean, what: string, ms = 4000): Promise<void> {
  const deadline = Date.now() + ms
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (check()) resolve()
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`))
      else setTimeout(poll, 5)
    }
    poll()
  })
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** A `ws` server on port 0; `onConnection` gets each server socket. */
async function wsServer(
  onConnection: (socket: ServerSocket, requestUrl: string) => void,
  options: { handleProtocols?: (protocols: Set<string>) => string | false } = {},
): Promise<string> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  server.on('connection', (socket, request) => {
    onConnection(socket, request.url ?? '')
  })
  cleanups.push(async () => {
    for (const client of server.clients) client.terminate()
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve()
      })
    })
  })
  return `ws://127.0.0.1:${String((server.address() as AddressInfo).port)}`
}

async function rawServer(
  respond?: (head: string) => string,
): Promise<{ server: RawWebSocketServer; url: string }> {
  const server = new RawWebSocketServer(respond)
  const url = await server.listen()
  cleanups.push(() => server.close())
  return { server, url }
}

describe('LeanWebSocket against a ws server', () => {
  it('exchanges text and binary messages; binary arrives as an ArrayBuffer; sizes 125 to 65536+', async () => {
    const sizes = [0, 125, 126, 65_535, 65_536, 300_000]
    const url = await wsServer((socket, requestUrl) => {
      socket.send(`path ${requestUrl}`)
      // Echo: the server only understands the client's frames if they are masked correctly.
      socket.on('message', (data: Buffer, isBinary) => {
        socket.send(data, { binary: isBinary })
      })
    })
    const { client, events } = recordingClient(`${url}/ws?since=4`, {}, (c) => {
      for (const size of sizes) c.send('x'.repeat(size))
      c.send(new Uint8Array([0, 1, 2, 255]))
      c.send('ünïcödé ✓')
    })
    await until(() => events.length >= sizes.length + 4, 'the echoes')
    expect(events[0]).toEqual({ kind: 'open', protocol: '' })
    expect(events[1]).toEqual({ kind: 'text', text: 'path /ws?since=4' })
    sizes.forEach((size, i) => {
      expect(events[2 + i]).toEqual({ kind: 'text', text: 'x'.repeat(size) })
    })
    const binary = events[2 + sizes.length]
    expect(binary?.kind).toBe('binary')
    if (binary?.kind === 'binary') {
      expect(binary.data).toBeInstanceOf(ArrayBuffer)
      expect([...new Uint8Array(binary.data)]).toEqual([0, 1, 2, 255])
    }
    expect(events[3 + sizes.length]).toEqual({ kind: 'text', text: 'ünïcödé ✓' })
    client.terminate()
  })

  it('answers a server ping with a pong carrying the same data, and reports the ping', async () => {
    let pong = ''
    const url = await wsServer((socket) => {
      socket.on('pong', (data: Buffer) => {
        pong = data.toString()
      })
      socket.ping('are you there')
    })
    const { client, events } = recordingClient(url)
    await until(() => pong !== '', 'the pong')
    expect(pong).toBe('are you there')
    expect(events.map((e) => e.kind)).toEqual(['open', 'ping'])
    client.terminate()
  })

  it('sends a ping and reports the pong', async () => {
    const url = await wsServer(() => undefined)
    const { client, events } = recordingClient(url, {}, (c) => {
      c.ping()
    })
    await until(() => events.some((e) => e.kind === 'pong'), 'the pong')
    client.terminate()
  })

  it('closes with its code and reason: the server sees them and the close is clean', async () => {
    let serverSaw: { code: number; reason: string } | undefined
    const url = await wsServer((socket) => {
      socket.on('close', (code, reason: Buffer) => {
        serverSaw = { code, reason: reason.toString() }
      })
    })
    const { client, closed } = recordingClient(url, {}, (c) => {
      c.close(4001, 'done here')
      expect(c.readyState).toBe(2)
    })
    expect(await closed).toEqual({ kind: 'close', code: 4001, reason: 'done here', wasClean: true })
    await until(() => serverSaw !== undefined, 'the server close')
    expect(serverSaw).toEqual({ code: 4001, reason: 'done here' })
    expect(client.readyState).toBe(3)
  })

  it('echoes a server close: the client reports the server code and the server gets it back', async () => {
    let echoed = 0
    const url = await wsServer((socket) => {
      socket.on('close', (code) => {
        echoed = code
      })
      socket.close(4008, 'slow')
    })
    const { closed } = recordingClient(url)
    expect(await closed).toEqual({ kind: 'close', code: 4008, reason: 'slow', wasClean: true })
    await until(() => echoed !== 0, 'the echoed close')
    expect(echoed).toBe(4008)
  })

  it('negotiates a subprotocol and sends the extra headers', async () => {
    let header = ''
    const server = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      handleProtocols: (protocols) => (protocols.has('feed.v2') ? 'feed.v2' : false),
    })
    await new Promise<void>((resolve) => server.once('listening', resolve))
    server.on('connection', (_socket, request) => {
      header = String(request.headers['x-test'])
    })
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => {
            resolve()
          })
        }),
    )
    const port = (server.address() as AddressInfo).port
    const { client, events } = recordingClient(`ws://127.0.0.1:${String(port)}/`, {
      protocols: ['feed.v1', 'feed.v2'],
      headers: { 'X-Test': 'yes' },
    })
    await until(() => events.length > 0, 'open')
    expect(events[0]).toEqual({ kind: 'open', protocol: 'feed.v2' })
    expect(header).toBe('yes')
    client.terminate()
  })

  it('throws at once for misuse: send while connecting, an invalid close code, a wss URL', async () => {
    const url = await wsServer(() => undefined)
    const { client, closed } = recordingClient(url)
    expect(() => {
      client.send('too early')
    }).toThrow(/not open yet/)
    expect(() => {
      client.close(1006)
    }).toThrow(/1000 or 3000-4999/)
    client.terminate()
    expect((await closed).code).toBe(1006)
    expect(() => recordingClient('wss://127.0.0.1:1/')).toThrow(/only ws:\/\//)
  })
})

describe('LeanWebSocket against a raw server', () => {
  it('masks every client frame with a fresh key', async () => {
    const { server, url } = await rawServer()
    const connection = server.nextConnection()
    const { client } = recordingClient(url, {}, (c) => {
      c.send('same text')
      c.send('same text')
    })
    const raw = await connection
    await until(() => raw.frames.length === 2, 'two frames')
    expect(raw.frames.every((f) => f.masked && f.fin && f.opcode === OPCODE.text)).toBe(true)
    expect(raw.frames.map((f) => f.payload.toString())).toEqual(['same text', 'same text'])
    expect(raw.requestHead).toMatch(/^GET \/ws HTTP\/1\.1\r\n/)
    expect(raw.requestHead).toMatch(/\r\nSec-WebSocket-Version: 13(\r\n|$)/)
    client.terminate()
  })

  it('decodes a stream the server writes one byte at a time, fragments and a ping included', async () => {
    const { server, url } = await rawServer()
    const connection = server.nextConnection()
    const { client, events } = recordingClient(url)
    const raw = await connection
    const stream = Buffer.concat([
      serverFrame(OPCODE.text, 'a'.repeat(126)),
      serverFrame(OPCODE.text, 'frag', { fin: false }),
      serverFrame(OPCODE.ping, 'mid'),
      serverFrame(OPCODE.continuation, 'ment'),
      serverFrame(OPCODE.binary, Buffer.from([9, 8, 7])),
    ])
    for (const byte of stream) {
      raw.socket.write(Buffer.from([byte]))
      // A pause per byte so that reads see the pieces rather than one coalesced chunk.
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    await until(() => events.length >= 5, 'the messages')
    expect(events.slice(0, 4)).toEqual([
      { kind: 'open', protocol: '' },
      { kind: 'text', text: 'a'.repeat(126) },
      { kind: 'ping' },
      { kind: 'text', text: 'fragment' },
    ])
    const last = events[4]
    expect(last?.kind === 'binary' ? [...new Uint8Array(last.data)] : last).toEqual([9, 8, 7])
    const pong = await raw.nextFrame(OPCODE.pong)
    expect(pong.masked).toBe(true)
    expect(pong.payload.toString()).toBe('mid')
    client.terminate()
  })

  it('reads frames that arrive in the same read as the 101 response', async () => {
    const { url } = await rawServer(
      (head) => acceptingResponse(head) + serverFrame(OPCODE.text, 'early').toString('latin1'),
    )
    const { client, events } = recordingClient(url)
    await until(() => events.length >= 2, 'the early frame')
    expect(events[1]).toEqual({ kind: 'text', text: 'early' })
    client.terminate()
  })

  it('answers a masked server frame with close 1002 and reports it', async () => {
    const { server, url } = await rawServer()
    const connection = server.nextConnection()
    const { closed, events } = recordingClient(url)
    const raw = await connection
    raw.socket.write(serverFrame(OPCODE.text, 'masked!', { mask: true }))
    const close = await raw.nextFrame(OPCODE.close)
    expect(close.payload.readUInt16BE(0)).toBe(1002)
    raw.socket.end()
    expect(await closed).toMatchObject({ code: 1002, wasClean: false })
    expect(events).toContainEqual({ kind: 'error', message: 'the server sent a masked frame' })
    expect(events.some((e) => e.kind === 'text')).toBe(false)
  })

  it('answers an unknown opcode with close 1002', async () => {
    const { server, url } = await rawServer()
    const connection = server.nextConnection()
    const { closed } = recordingClient(url)
    const raw = await connection
    raw.socket.write(serverFrame(0x5, 'x'))
    expect((await raw.nextFrame(OPCODE.close)).payload.readUInt16BE(0)).toBe(1002)
    raw.socket.end()
    expect((await closed).code).toBe(1002)
  })

  it('drops a connection whose server never completes the close handshake, after closeTimeoutMs', async () => {
    const { url } = await rawServer()
    const { closed } = recordingClient(url, { closeTimeoutMs: 50 }, (c) => {
      c.close(1000)
    })
    // The raw server never answers the close frame: the timeout ends it, not a clean close.
    expect(await closed).toMatchObject({ code: 1006, wasClean: false })
  })

  it('reports a server that vanishes without a close frame as 1006', async () => {
    const { server, url } = await rawServer()
    const connection = server.nextConnection()
    const { closed } = recordingClient(url)
    ;(await connection).socket.destroy()
    expect(await closed).toEqual({ kind: 'close', code: 1006, reason: '', wasClean: false })
  })
})

describe('LeanWebSocket handshake failures', () => {
  it('reports a 404 naming the status, then closes', async () => {
    const server = createServer((_request, response) => {
      response.writeHead(404).end('no such endpoint')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise<void>((resolve) =>
          server.close(() => {
            resolve()
          }),
        ),
    )
    const port = (server.address() as AddressInfo).port
    const { closed, events } = recordingClient(`ws://127.0.0.1:${String(port)}/nope`)
    expect(await closed).toMatchObject({ code: 1006, wasClean: false })
    expect(events[0]).toEqual({
      kind: 'error',
      message: 'unexpected server response: 404 Not Found (expected 101 Switching Protocols)',
    })
    expect(events.some((e) => e.kind === 'open')).toBe(false)
  })

  it.each([
    [
      'a wrong Sec-WebSocket-Accept',
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n',
      /invalid Sec-WebSocket-Accept/,
    ],
    [
      'a missing Upgrade header',
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n',
      /lacks "Upgrade: websocket"/,
    ],
    ['not HTTP at all', 'SSH-2.0-OpenSSH\r\n\r\n', /did not answer with an HTTP/],
  ])('reports %s as an error, then closes with 1006', async (_name, response, message) => {
    const { url } = await rawServer(() => response)
    const { closed, events } = recordingClient(url)
    expect(await closed).toMatchObject({ code: 1006, wasClean: false })
    expect(events).toHaveLength(2)
    expect(events[0]).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(message) as unknown,
    })
  })

  it('refuses a subprotocol the client did not offer', async () => {
    const { url } = await rawServer((head) =>
      acceptingResponse(head).replace('\r\n\r\n', '\r\nSec-WebSocket-Protocol: other\r\n\r\n'),
    )
    const { closed, events } = recordingClient(url, { protocols: ['mine'] })
    expect((await closed).code).toBe(1006)
    expect(events[0]).toEqual({
      kind: 'error',
      message: 'the server chose subprotocol "other", which the client did not offer',
    })
  })

  it('reports a refused connection as an error and close 1006', async () => {
    const { server, url } = await rawServer()
    await server.close()
    const { closed, events } = recordingClient(url)
    expect((await closed).code).toBe(1006)
    expect(events[0]).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/ECONNREFUSED/) as unknown,
    })
  })

  it('times out a server that accepts TCP but never answers', async () => {
    const { url } = await rawServer(() => '')
    const { closed, events } = recordingClient(url, { handshakeTimeoutMs: 100 })
    expect((await closed).code).toBe(1006)
    expect(events[0]).toEqual({ kind: 'error', message: 'the opening handshake timed out' })
  })
})

/**
 * `--encoding binary` on the wire: WebSocket frames and snapshots are binary messages (also
 * through permessage-deflate), SSE data is their base64, control answers stay JSON text, and
 * every decoded frame equals the JSON the feed keeps in its history. A bad `--encoding` is a
 * one-line usage error.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createParser } from 'eventsource-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket, type RawData } from 'ws'
import { decodeBinaryMessage } from '../../servers/feed/binary-codec.ts'
import type { ServerMessage } from '../../servers/feed/messages.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'

const run = promisify(execFile)
const MAIN = join(import.meta.dirname, '../../servers/main.ts')

interface Received {
  binary: boolean
  message: ServerMessage
}

/** Collect `count` messages from a WebSocket (after sending `first`, when given). */
function collectWebSocket(
  url: string,
  count: number,
  options: { deflate: boolean; first?: string },
): Promise<{ received: Received[]; extensions: string }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, {
    perMessageDeflate: options.deflate,
  })
  const received: Received[] = []
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`got ${received.length} of ${count} messages`))
    }, 5000)
    ws.on('open', () => {
      if (options.first !== undefined) ws.send(options.first)
    })
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data)
        ? Buffer.concat(data)
        : data instanceof ArrayBuffer
          ? Buffer.from(data)
          : data
      received.push({
        binary: isBinary,
        message: isBinary
          ? decodeBinaryMessage(bytes)
          : (JSON.parse(bytes.toString()) as ServerMessage),
      })
      if (received.length === count) {
        clearTimeout(timer)
        const extensions = ws.extensions
        ws.close()
        resolve({ received, extensions })
      }
    })
    ws.on('error', reject)
  })
}

/** The JSON the feed kept for a frame, parsed. */
function historyFrame(server: RunningServer, seq: number): unknown {
  const text = server.feed.history.get(seq)
  if (text === undefined) throw new Error(`seq ${seq} is not in the history`)
  return JSON.parse(text)
}

describe.each([false, true])('--encoding binary, deflate %s', (deflate) => {
  let server: RunningServer

  beforeAll(async () => {
    server = await startServer({ port: 0, rate: 50, encoding: 'binary', deflate, serveSite: false })
  })

  afterAll(async () => {
    await server.close()
  })

  it('sends the snapshot and frames as binary messages equal to the JSON frames', async () => {
    const { received, extensions } = await collectWebSocket(server.url, 6, { deflate })
    expect(extensions.includes('permessage-deflate')).toBe(deflate)
    expect(received.every((entry) => entry.binary)).toBe(true)
    const [snapshot, ...frames] = received.map((entry) => entry.message)
    expect(snapshot?.type).toBe('snapshot')
    for (const frame of frames) {
      expect(frame.type).toBe('frame')
      if (frame.type === 'frame') expect(frame).toStrictEqual(historyFrame(server, frame.seq))
    }
  })

  it('answers a ping with a JSON text pong', async () => {
    const { received } = await collectWebSocket(server.url, 40, {
      deflate,
      first: '{"type":"ping","id":"p"}',
    })
    const pong = received.find((entry) => entry.message.type === 'pong')
    expect(pong).toMatchObject({ binary: false, message: { type: 'pong', id: 'p' } })
  })
})

describe('SSE with --encoding binary', () => {
  let server: RunningServer

  beforeAll(async () => {
    server = await startServer({ port: 0, rate: 50, encoding: 'binary', serveSite: false })
  })

  afterAll(async () => {
    await server.close()
  })

  it('sends base64 of the binary message as data, with the same ids', async () => {
    const abort = new AbortController()
    const res = await fetch(`${server.url}/sse`, { signal: abort.signal })
    const events: { id: string | undefined; data: string }[] = []
    const parser = createParser({
      onEvent: (event) => {
        if (event.event === undefined) events.push({ id: event.id, data: event.data })
      },
    })
    const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader()
    for (let reads = 0; reads < 200 && events.length < 6 && reader !== undefined; reads++) {
      const { done, value } = await reader.read()
      if (done) break
      parser.feed(value)
    }
    abort.abort()
    expect(events.length).toBeGreaterThanOrEqual(6)
    for (const [index, event] of events.entries()) {
      expect(event.data).toMatch(/^[A-Za-z0-9+/]+=*$/)
      const message = decodeBinaryMessage(Buffer.from(event.data, 'base64'))
      expect(message.type).toBe(index === 0 ? 'snapshot' : 'frame')
      expect(event.id).toBe(`${message.epoch}:${message.seq}`)
      if (message.type === 'frame') expect(message).toStrictEqual(historyFrame(server, message.seq))
    }
  })
})

describe('the --encoding flag', () => {
  it('refuses an unknown encoding with one line naming the choices and exit code 1', async () => {
    const failure = await run(
      process.execPath,
      [MAIN, 'serve', '--port', '0', '--encoding', 'xml'],
      {
        timeout: 20_000,
      },
    ).then(
      () => null,
      (error: unknown) => error as { code?: number; stderr?: string },
    )
    expect(failure?.code).toBe(1)
    expect(failure?.stderr?.trim()).toBe(
      `error: option '--encoding <name>' argument 'xml' is invalid. unknown encoding "xml"; use json or binary`,
    )
  })
})

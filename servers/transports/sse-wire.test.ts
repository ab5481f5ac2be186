/**
 * The SSE stream's bytes on the wire, read from a raw socket: the transport writes each
 * event pre-framed as one HTTP/1.1 chunk straight to the socket, so the framing is checked
 * byte for byte here, and the de-chunked body must parse with eventsource-parser however
 * it is split.
 */
import { connect } from 'node:net'
import { createParser, type EventSourceMessage } from 'eventsource-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../main.ts'

let server: RunningServer

beforeAll(async () => {
  // Fast ticks and heartbeats so a few hundred ms of stream hold frames and comments.
  server = await startServer({
    port: 0,
    rate: 50,
    heartbeatMs: 40,
    protocols: ['sse'],
    serveSite: false,
  })
})

afterAll(async () => {
  await server.close()
})

/** Send `request` on a raw socket; the bytes received until `enough` holds (≤ 5 s). */
function rawExchange(
  request: string,
  enough: (bytes: Buffer) => boolean,
  port = server.port,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const parts: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`not enough bytes in 5 s: ${Buffer.concat(parts).toString().slice(0, 300)}`))
    }, 5000)
    socket.on('connect', () => socket.write(request))
    socket.on('data', (chunk: Buffer) => {
      parts.push(chunk)
      const all = Buffer.concat(parts)
      if (enough(all)) {
        clearTimeout(timer)
        socket.destroy()
        resolve(all)
      }
    })
    socket.on('error', reject)
  })
}

const countOf = (bytes: Buffer, mark: string): number => bytes.toString().split(mark).length - 1

/** Split a response into its head and body. */
function splitResponse(bytes: Buffer): { head: string; body: Buffer } {
  const end = bytes.indexOf('\r\n\r\n')
  expect(end).toBeGreaterThan(0)
  return { head: bytes.subarray(0, end).toString('latin1'), body: bytes.subarray(end + 4) }
}

/**
 * Strictly de-chunk a body (RFC 9112 §7.1): every chunk is `<hex>CRLF<data>CRLF`; a
 * trailing partial chunk (the read stopped mid-way) is left out. Returns the chunks' data.
 */
function dechunk(body: Buffer): Buffer[] {
  const chunks: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = body.indexOf('\r\n', at)
    if (lineEnd === -1) return chunks
    const sizeLine = body.subarray(at, lineEnd).toString('latin1')
    expect(sizeLine).toMatch(/^[0-9a-f]+$/)
    const size = Number.parseInt(sizeLine, 16)
    expect(size).toBeGreaterThan(0)
    const dataEnd = lineEnd + 2 + size
    if (dataEnd + 2 > body.length) return chunks
    chunks.push(body.subarray(lineEnd + 2, dataEnd))
    expect(body.subarray(dataEnd, dataEnd + 2).toString('latin1')).toBe('\r\n')
    at = dataEnd + 2
  }
}

/** Parse SSE text fed in pieces of the given sizes (cycled). */
function parseInPieces(text: Buffer, sizes: readonly number[]): EventSourceMessage[] {
  const events: EventSourceMessage[] = []
  const parser = createParser({ onEvent: (event) => events.push(event) })
  let at = 0
  for (let i = 0; at < text.length; i++) {
    const size = sizes[i % sizes.length] ?? 1
    // Decoding piecewise must not split a UTF-8 sequence: the feed is ASCII JSON.
    parser.feed(text.subarray(at, at + size).toString('latin1'))
    at += size
  }
  return events
}

function seqOf(event: EventSourceMessage): number {
  return (JSON.parse(event.data) as { seq: number }).seq
}

describe('SSE wire framing', () => {
  it('writes every event as one well-formed chunk that parses however it is split', async () => {
    const bytes = await rawExchange(
      'GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n',
      (all) => countOf(all, '"type":"frame"') >= 12 && countOf(all, '\r\n:\n\n') >= 2,
    )
    const { head, body } = splitResponse(bytes)
    expect(head).toMatch(/^HTTP\/1\.1 200 /)
    expect(head.toLowerCase()).toContain('transfer-encoding: chunked')
    expect(head.toLowerCase()).toContain('content-type: text/event-stream')
    const chunks = dechunk(body)
    // Each chunk holds whole events or comments: nothing straddles a chunk boundary.
    for (const data of chunks) expect(data.toString('latin1').endsWith('\n\n')).toBe(true)
    const heartbeats = chunks.filter((data) => data.toString('latin1') === ':\n\n')
    expect(heartbeats.length).toBeGreaterThanOrEqual(1)
    const text = Buffer.concat(chunks)
    const whole = parseInPieces(text, [text.length])
    for (const sizes of [[1], [7], [3, 50, 1, 200], [4096]]) {
      expect(parseInPieces(text, sizes)).toEqual(whole)
    }
    expect(whole[0]?.event).toBe('session')
    const announced = JSON.parse(whole[0]?.data ?? '') as { session?: unknown }
    expect(typeof announced.session).toBe('string')
    const feed = whole.slice(1)
    expect(JSON.parse(feed[0]?.data ?? '')).toMatchObject({ type: 'snapshot' })
    expect(feed.length).toBeGreaterThanOrEqual(12)
    const first = seqOf(feed[0] as EventSourceMessage)
    feed.forEach((event, index) => {
      expect(event.event).toBeUndefined()
      expect(seqOf(event)).toBe(first + index)
      expect(event.id).toBe(`${server.feed.epoch}:${first + index}`)
    })
  })

  it('frames a resume replay as well-formed chunks with consecutive ids', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200))
    const since = server.feed.seq - 5
    const bytes = await rawExchange(
      `GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: ${server.feed.epoch}:${since}\r\n\r\n`,
      (all) => countOf(all, '"type":"frame"') >= 8,
    )
    const events = parseInPieces(Buffer.concat(dechunk(splitResponse(bytes).body)), [5])
    const feed = events.slice(1)
    expect(feed.length).toBeGreaterThanOrEqual(8)
    feed.forEach((event, index) => {
      expect(JSON.parse(event.data)).toMatchObject({ type: 'frame', seq: since + 1 + index })
    })
  })

  it('keeps a stream that resumes at the newest frame (an empty catch-up) open', async () => {
    // One tick a second, so the cursor is still the newest frame when the request arrives.
    const slow = await startServer({ port: 0, rate: 1, protocols: ['sse'], serveSite: false })
    try {
      const bytes = await rawExchange(
        `GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: ${slow.feed.epoch}:${slow.feed.seq}\r\n\r\n`,
        (all) => countOf(all, '"type":"frame"') >= 1,
        slow.port,
      )
      const events = parseInPieces(Buffer.concat(dechunk(splitResponse(bytes).body)), [64])
      expect(events[0]?.event).toBe('session')
      expect(JSON.parse(events[1]?.data ?? '')).toMatchObject({ type: 'frame' })
    } finally {
      await slow.close()
    }
  })

  it('answers start with nothing missed (an empty catch-up) and keeps streaming', async () => {
    // One tick a second: stop and start fall within one tick, so nothing was missed.
    const slow = await startServer({ port: 0, rate: 1, protocols: ['sse'], serveSite: false })
    const socket = connect(slow.port, '127.0.0.1')
    try {
      let text = ''
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1')
      })
      socket.write('GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
      const deadline = Date.now() + 8000
      let session: string | undefined
      while (session === undefined && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        session = /"session":"([^"]+)"/.exec(text)?.[1]
      }
      expect(session).toBeDefined()
      const control = async (action: string): Promise<number> => {
        const res = await fetch(`${slow.url}/api/control`, {
          method: 'POST',
          body: JSON.stringify({ action, session }),
        })
        await res.body?.cancel()
        return res.status
      }
      const seq = slow.feed.seq
      expect(await control('stop')).toBe(200)
      expect(await control('start')).toBe(200)
      expect(slow.feed.seq).toBe(seq)
      const frames = (): number => countOf(Buffer.from(text, 'latin1'), '"type":"frame"')
      const before = frames()
      while (frames() < before + 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(frames()).toBeGreaterThan(before)
      expect(socket.destroyed).toBe(false)
    } finally {
      socket.destroy()
      await slow.close()
    }
  })

  it('writes an unchunked stream to an HTTP/1.0 client', async () => {
    const bytes = await rawExchange('GET /sse HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n', (all) => {
      return countOf(all, '"type":"frame"') >= 5
    })
    const { head, body } = splitResponse(bytes)
    expect(head).toMatch(/^HTTP\/1\.1 200 /)
    expect(head.toLowerCase()).not.toContain('transfer-encoding')
    expect(body.toString('latin1')).toMatch(/^retry: ?2000\n\n/)
    const events = parseInPieces(body, [9])
    expect(events[0]?.event).toBe('session')
    const feed = events.slice(1)
    const first = seqOf(feed[0] as EventSourceMessage)
    feed.forEach((event, index) => {
      expect(seqOf(event)).toBe(first + index)
    })
  })
})

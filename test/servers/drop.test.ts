/**
 * The `drop` control action: the server cuts a standing connection with no close handshake,
 * as a network failure would, so that a client's reconnect and resume can be watched (the
 * live page's "kill connection"). The client then resumes without a gap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { decodeClientMessage } from '../../servers/feed/codec.ts'
import type { ServerMessage } from '../../servers/feed/messages.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { openClient } from '../conformance/feed-clients.ts'

let server: RunningServer

beforeAll(async () => {
  server = await startServer({ port: 0, rate: 50, serveSite: false })
})

afterAll(async () => {
  await server.close()
})

describe('control action drop', () => {
  it('is a valid control action; anything else is still refused', () => {
    expect(decodeClientMessage('{"type":"control","action":"drop"}').ok).toBe(true)
    const refused = decodeClientMessage('{"type":"control","action":"explode"}')
    expect(refused).toMatchObject({ ok: false, code: 'bad-message' })
  })

  it('cuts a WebSocket without a close frame (1006); the client resumes with no gap', async () => {
    const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`)
    const seqs: number[] = []
    let epoch = ''
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as ServerMessage
      if (message.type === 'snapshot' || message.type === 'frame') {
        epoch = message.epoch
        seqs.push(message.seq)
      }
    })
    await new Promise((resolve) => socket.once('open', resolve))
    await new Promise((resolve) => setTimeout(resolve, 200))
    const closed = new Promise<number>((resolve) => socket.once('close', resolve))
    socket.send(JSON.stringify({ type: 'control', action: 'drop' }))
    expect(await closed).toBe(1006)

    const since = seqs.at(-1) ?? 0
    const resumed = await openClient('websocket', server.url, { epoch, since })
    try {
      const frame = await resumed.waitFor((m) => m.type === 'frame' && m.seq > since + 5)
      expect(frame.type).toBe('frame')
      const replayed = resumed.messages.flatMap((m) => (m.type === 'frame' ? [m.seq] : []))
      // Every frame after the cursor, once, in order: no gap across the drop.
      expect(replayed[0]).toBe(since + 1)
      replayed.forEach((seq, i) => {
        expect(seq).toBe(since + 1 + i)
      })
    } finally {
      resumed.kill()
    }
  })

  it('breaks an SSE stream when its session asks to be dropped', async () => {
    const controller = new AbortController()
    const response = await fetch(`${server.url}/sse`, { signal: controller.signal })
    const reader = response.body?.getReader()
    if (reader === undefined) throw new Error('no SSE body')
    let text = ''
    let session: string | undefined
    while (session === undefined) {
      const { value } = await reader.read()
      text += new TextDecoder().decode(value)
      session = /"session":"([^"]+)"/.exec(text)?.[1]
    }
    const answer = await fetch(`${server.url}/api/control`, {
      method: 'POST',
      body: JSON.stringify({ type: 'control', action: 'drop', session }),
    })
    expect(answer.status).toBe(200)
    // The stream must break (an error or an end), not go on delivering frames.
    const broke = await (async () => {
      try {
        for (let i = 0; i < 1000; i++) if ((await reader.read()).done) return true
        return false
      } catch {
        return true
      }
    })()
    expect(broke).toBe(true)
    controller.abort()
  })

  it('is refused with a clear error for a poll session, which has no standing connection', async () => {
    const reply = (await (await fetch(`${server.url}/poll/short?session=new`)).json()) as {
      session?: string
    }
    expect(reply.session).toBeTypeOf('string')
    const answer = await fetch(`${server.url}/api/control`, {
      method: 'POST',
      body: JSON.stringify({ type: 'control', action: 'drop', session: reply.session }),
    })
    expect(answer.status).toBe(400)
    expect(await answer.text()).toMatch(/no standing connection/)
  })
})

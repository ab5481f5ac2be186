/**
 * Graceful close: WebSocket clients get 1001, SSE streams end, pending long polls are
 * answered, and the server stops listening.
 */
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { PollReply } from '../../servers/feed/messages.ts'
import { startServer } from '../../servers/main.ts'

describe('startServer().close()', () => {
  it('closes WebSockets with 1001, ends SSE and answers pending long polls', async () => {
    const server = await startServer({ port: 0, rate: 20, serveSite: false })
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`)
    await new Promise((resolve) => ws.once('open', resolve))
    const wsClosed = new Promise<number>((resolve) => ws.once('close', resolve))

    const sse = await fetch(`${server.url}/sse`)
    const sseDone = (async () => {
      const reader = sse.body?.getReader()
      for (let i = 0; i < 10_000; i++) {
        const chunk = await reader?.read()
        if (chunk === undefined || chunk.done) return 'ended'
      }
      return 'still open'
    })()

    // A long poll parked with a paused session stays pending until the close answers it.
    const first = (await (await fetch(`${server.url}/poll/long?session=new`)).json()) as PollReply
    const session = first.session ?? ''
    await fetch(`${server.url}/api/control`, {
      method: 'POST',
      body: JSON.stringify({ action: 'stop', session }),
    })
    const pending = fetch(
      `${server.url}/poll/long?epoch=${first.epoch}&since=${first.next}&wait=30&session=${session}`,
    )
    await new Promise((r) => setTimeout(r, 200))

    await server.close()
    expect(await wsClosed).toBe(1001)
    expect(await sseDone).toBe('ended')
    const reply = await pending
    expect(reply.status).toBe(200)
    expect(((await reply.json()) as PollReply).messages).toEqual([])
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow()
  })
})

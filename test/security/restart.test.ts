/**
 * Graceful restart with the server as a child process: SIGTERM closes WebSockets with 1012
 * "service restart", ends SSE streams after a `retry:` field and answers pending long polls;
 * the client reconnects to the restarted process with its cursor and, history being
 * memory-only, gets reset(unknown-epoch) + snapshot. SIGINT still closes with 1001.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from '../../load/kit/server-process.ts'
import type { PollReply } from '../../servers/feed/messages.ts'
import { closed, collected, handshake, readStream } from './security-clients.ts'

const started = new Set<ServerProcess>()

afterEach(() => {
  for (const server of started) server.child.kill('SIGKILL')
  started.clear()
})

/** Starts `servers/main.ts serve` with node itself (npm would not forward SIGTERM). */
async function serve(port: number): Promise<ServerProcess> {
  const server = await startServerProcess({ port, args: ['--rate', '20'] })
  started.add(server)
  return server
}

/** The exit code, or null for a signal, as the test reads it. */
const exited = async (server: ServerProcess): Promise<number | null> => {
  const code = await server.exited
  return typeof code === 'number' ? code : null
}

describe('SIGTERM restart', () => {
  it('closes 1012, ends SSE with retry, answers long polls; the client resumes on the new process', async () => {
    const first = await serve(0)
    const ws = await handshake(`${first.url.replace(/^http/, 'ws')}/ws`)
    if (!ws.opened) throw new Error(`refused: ${ws.status}`)
    await collected(ws, 3)
    const sse = await fetch(`${first.url}/sse`)
    const sseRead = readStream(sse)
    const poll = (await (await fetch(`${first.url}/poll/long?session=new`)).json()) as PollReply
    await fetch(`${first.url}/api/control`, {
      method: 'POST',
      body: JSON.stringify({ action: 'stop', session: poll.session }),
    })
    const pending = fetch(
      `${first.url}/poll/long?epoch=${poll.epoch}&since=${poll.next}&wait=30&session=${poll.session ?? ''}`,
    )
    await new Promise((resolve) => setTimeout(resolve, 200))

    const wsClosed = closed(ws.ws)
    const exit = exited(first)
    first.child.kill('SIGTERM')
    expect(await wsClosed).toMatchObject({ code: 1012 })
    const streamed = await sseRead
    expect(streamed.ended).toBe(true)
    expect(streamed.text).toMatch(/retry: 1000\n\n$/)
    const answered = await pending
    expect(answered.status).toBe(200)
    expect(((await answered.json()) as PollReply).messages).toEqual([])
    expect(await exit).toBe(0)

    // The last frame the client held is its cursor on the restarted server.
    const last = JSON.parse(ws.messages.at(-1) ?? '{}') as { epoch: string; seq: number }
    const port = new URL(first.url).port
    const second = await serve(Number(port))
    const again = await handshake(
      `${second.url.replace(/^http/, 'ws')}/ws?epoch=${last.epoch}&since=${last.seq}`,
    )
    if (!again.opened) throw new Error(`refused: ${again.status}`)
    const [reset, snapshot] = (await collected(again, 2)).map(
      (text) => JSON.parse(text) as { type: string; reason?: string; epoch: string },
    )
    expect(reset).toMatchObject({ type: 'reset', reason: 'unknown-epoch' })
    expect(snapshot?.type).toBe('snapshot')
    expect(snapshot?.epoch).not.toBe(last.epoch)
    again.ws.close()
    second.child.kill('SIGTERM')
    expect(await exited(second)).toBe(0)
  }, 60_000)

  it('still closes with 1001 on SIGINT', async () => {
    const server = await serve(0)
    const ws = await handshake(`${server.url.replace(/^http/, 'ws')}/ws`)
    if (!ws.opened) throw new Error(`refused: ${ws.status}`)
    const wsClosed = closed(ws.ws)
    server.child.kill('SIGINT')
    expect(await wsClosed).toMatchObject({ code: 1001 })
    expect(await exited(server)).toBe(0)
  }, 30_000)
})

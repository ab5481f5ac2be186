/**
 * Graceful restart with the server as a child process: SIGTERM closes WebSockets with 1012
 * "service restart", ends SSE streams after a `retry:` field and answers pending long polls;
 * the client reconnects to the restarted process with its cursor and, history being
 * memory-only, gets reset(unknown-epoch) + snapshot. SIGINT still closes with 1001.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import type { PollReply } from '../../servers/feed/messages.ts'
import { closed, collected, handshake, readStream } from './security-clients.ts'

const MAIN = fileURLToPath(new URL('../../servers/main.ts', import.meta.url))
const children = new Set<ChildProcess>()

afterEach(() => {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
})

/** Starts `servers/main.ts serve` with node itself (npm would not forward SIGTERM). */
async function serve(port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [MAIN, 'serve', '--port', String(port), '--rate', '20'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      reject(new Error(`no banner after 20 s: ${out}`))
    }, 20_000)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      out += chunk
      const match = /listening on (http:\/\/[^\s]+)/.exec(out)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${String(code)}: ${out}`))
    })
  })
  return { child, url }
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', resolve))

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
    const exit = exited(first.child)
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
    expect(await exited(second.child)).toBe(0)
  }, 60_000)

  it('still closes with 1001 on SIGINT', async () => {
    const server = await serve(0)
    const ws = await handshake(`${server.url.replace(/^http/, 'ws')}/ws`)
    if (!ws.opened) throw new Error(`refused: ${ws.status}`)
    const wsClosed = closed(ws.ws)
    server.child.kill('SIGINT')
    expect(await wsClosed).toMatchObject({ code: 1001 })
    expect(await exited(server.child)).toBe(0)
  }, 30_000)
})

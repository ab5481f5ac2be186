/**
 * The server process stopped (SIGTERM: graceful; SIGKILL: crash) and started again on the
 * same port. History is memory-only, so the new process has a new epoch: every client
 * that resumes with its old cursor gets an explicit `reset` (`unknown-epoch`) and a
 * `snapshot` — never a silent gap (guarantee 3) — on all four protocols.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { PROTOCOLS } from '../../servers/transports/protocols.ts'
import { lastCursor, openClient, type FeedClient } from '../conformance/feed-clients.ts'
import { freePort } from '../../load/kit/child-process.ts'
import { startServerProcess, type ServerProcess } from '../../load/kit/server-process.ts'
import { expectContiguous, feedSeqs } from './stream-checks.ts'

const SERVER_ARGS = ['--rate', '50', '--history', '400', '--seed', '7']

const started: ServerProcess[] = []
const open: FeedClient[] = []

afterEach(() => {
  for (const client of open.splice(0)) client.kill()
  for (const server of started.splice(0)) server.child.kill('SIGKILL')
})

async function start(port: number): Promise<ServerProcess> {
  const server = await startServerProcess({ port, args: SERVER_ARGS })
  started.push(server)
  return server
}

/** A bare WebSocket that records its close code. */
async function watchClose(url: string): Promise<{ code: Promise<number> }> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`)
  ws.on('error', () => undefined)
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  // Wrapped: an async function returning a bare promise would wait for it.
  return { code: new Promise((resolve) => ws.once('close', resolve)) }
}

describe.each([
  // SIGTERM is a graceful restart: 1012 "service restart" (SIGINT gives 1001, tested in
  // test/security/restart.test.ts); SIGKILL leaves only 1006 (no close frame).
  ['SIGTERM', [1012], 0],
  ['SIGKILL', [1006], 'SIGKILL'],
] as const)('server %s then restart', (signal, closeCodes, exitStatus) => {
  it('gives every protocol reset(unknown-epoch) + snapshot on resume, then consecutive frames', async () => {
    const port = await freePort()
    const before = await start(port)
    const clients = await Promise.all(PROTOCOLS.map((p) => openClient(p, before.url)))
    open.push(...clients)
    const closed = await watchClose(before.url)
    await Promise.all(clients.map((c) => c.waitFor((m) => m.type === 'frame')))
    before.child.kill(signal)
    expect(await before.exited).toBe(exitStatus)
    expect(closeCodes).toContain(await closed.code)
    const cursors = clients.map((client) => {
      client.kill()
      return lastCursor(client)
    })
    for (const cursor of cursors) expect(cursor.epoch).toBe(before.epoch)

    const after = await start(port)
    expect(after.epoch).not.toBe(before.epoch)
    const resumed = await Promise.all(PROTOCOLS.map((p, i) => openClient(p, after.url, cursors[i])))
    open.push(...resumed)
    for (const client of resumed) {
      const snapshot = await client.waitFor((m) => m.type === 'snapshot')
      const from = snapshot.type === 'snapshot' ? snapshot.seq : Number.NaN
      await client.waitFor((m) => m.type === 'frame' && m.seq >= from + 10, 5000)
      client.kill()
      const [reset, second] = client.messages
      expect(reset, client.protocol).toMatchObject({
        type: 'reset',
        reason: 'unknown-epoch',
        epoch: after.epoch,
      })
      expect(second, client.protocol).toBe(snapshot)
      expect(snapshot).toMatchObject({ epoch: after.epoch })
      expectContiguous(feedSeqs(client.messages), client.protocol)
    }
  })
})

/**
 * A client that pauses its feed (`control stop`), stops reading and floods the server with
 * pings whose replies are queued for it is closed within seconds, the server's RSS stays
 * within 200 MiB of where it was, and a bystander keeps a gap-free stream. JSON `ping`
 * messages meet the unsent-bytes bound (close 4008; before the bound covered replies, RSS
 * climbed past a gigabyte); WebSocket ping frames meet ws's own bound of 60 pending pongs
 * (`maxPendingAutoPongs`: terminated, 1006).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { openClient, type FeedClient } from '../conformance/feed-clients.ts'
import { rssMiB } from '../../load/kit/process-sampler.ts'
import { startServerProcess, type ServerProcess } from '../../load/kit/server-process.ts'
import { expectContiguous, feedSeqs } from './stream-checks.ts'

const FLOOD_MS = 5000

async function websocketClients(url: string): Promise<number> {
  const health = (await (await fetch(`${url}/healthz`)).json()) as {
    clients: { websocket: number }
  }
  return health.clients.websocket
}

let server: ServerProcess
let bystander: FeedClient

beforeAll(async () => {
  server = await startServerProcess({ args: ['--rate', '20'] })
  bystander = await openClient('websocket', server.url)
})
afterAll(() => {
  bystander.kill()
  server.child.kill('SIGKILL')
})

describe.each([
  [
    'JSON ping messages',
    (ws: WebSocket) => {
      ws.send('{"type":"ping","id":"flood-0123456789"}')
    },
  ],
  [
    'WebSocket ping frames',
    (ws: WebSocket) => {
      ws.ping('flood-0123456789')
    },
  ],
])('a paused client flooding %s without reading', (_name, sendOne) => {
  it('is closed at the buffer bound within 5 s, RSS grows under 200 MiB, the bystander keeps every frame', async () => {
    const pid = server.child.pid ?? 0
    const flooder = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`)
    flooder.on('error', () => undefined)
    await new Promise((resolve) => flooder.once('open', resolve))
    flooder.send('{"type":"control","action":"stop"}')
    // Stop reading: every reply stays queued on the server's side.
    ;(flooder as unknown as { _socket: { pause(): void } })._socket.pause()
    const rssBefore = rssMiB(pid)
    let peakRss = rssBefore
    const started = Date.now()
    let closedAfterMs: number | null = null
    while (Date.now() - started < FLOOD_MS && closedAfterMs === null) {
      for (let i = 0; i < 2000; i++) sendOne(flooder)
      await new Promise((resolve) => setTimeout(resolve, 5))
      peakRss = Math.max(peakRss, rssMiB(pid))
      if ((await websocketClients(server.url)) === 1) closedAfterMs = Date.now() - started
    }
    flooder.terminate()
    expect(server.child.exitCode).toBeNull()
    expect(
      peakRss - rssBefore,
      `RSS ${rssBefore.toFixed(0)} → ${peakRss.toFixed(0)} MiB`,
    ).toBeLessThan(200)
    expect(closedAfterMs, 'the flooder was never closed').not.toBeNull()
    const seq = feedSeqs(bystander.messages).at(-1) ?? 0
    await bystander.waitFor((m) => m.type === 'frame' && m.seq > seq + 2, 5000)
    expectContiguous(feedSeqs(bystander.messages), 'bystander')
  })
})

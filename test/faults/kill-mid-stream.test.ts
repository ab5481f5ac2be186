/**
 * Connections killed mid-stream — by the fault proxy (RST or FIN while bytes are in
 * flight) and by the kernel (`ss -K`) — then resumed with the last cursor: every missed
 * frame arrives exactly once, in order (guarantee 2), on all four protocols.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PROTOCOLS, type Protocol } from '../../servers/transports/protocols.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { lastCursor, openClient, type FeedClient } from '../conformance/feed-clients.ts'
import { expectContiguous, feedSeqs, until } from './stream-checks.ts'
import { FaultProxy } from './tcp-proxy.ts'

// 50 Hz with 400 frames of history: 8 s, far more than a kill-and-resume needs.
const RATE = 50
const HISTORY = 400

let server: RunningServer
let proxy: FaultProxy
const open: FeedClient[] = []

beforeAll(async () => {
  server = await startServer({ port: 0, rate: RATE, history: HISTORY, serveSite: false, pad: 2048 })
  proxy = await FaultProxy.start(server.port)
})

afterAll(async () => {
  for (const client of open) client.kill()
  await proxy.close()
  await server.close()
})

async function connect(
  protocol: Protocol,
  baseUrl: string,
  cursor?: { epoch: string; since: number },
): Promise<FeedClient> {
  const client = await openClient(protocol, baseUrl, cursor)
  open.push(client)
  return client
}

/** `ss -K` needs CONFIG_INET_DIAG_DESTROY and CAP_NET_ADMIN; probe it once. */
function ssKillAvailable(): string | null {
  try {
    execFileSync('ss', ['-K', 'dst', '127.0.0.1', 'dport', '=', ':1'], { stdio: 'pipe' })
    return null
  } catch (error) {
    return `ss -K refused: ${String(error).split('\n')[0] ?? ''}`
  }
}
const ssRefused = ssKillAvailable()

type Fault = 'proxy reset (RST)' | 'proxy cut (FIN)' | 'ss -K' | 'ss -K server side'

/**
 * Streams through the fault's path, applies the fault while a delayed proxy holds bytes in
 * flight, resumes from the last whole frame and checks the joined stream.
 */
async function killAndResume(protocol: Protocol, fault: Fault): Promise<void> {
  const viaProxy = !fault.startsWith('ss -K')
  const base = viaProxy ? proxy.url : server.url
  // A delay keeps frames in flight inside the proxy when the fault hits.
  proxy.set({ delayMs: viaProxy ? 30 : 0 })
  const first = await connect(protocol, base)
  const start = server.feed.seq
  await first.waitFor((m) => m.type === 'frame' && m.seq >= start + 10)
  if (fault === 'proxy reset (RST)') proxy.resetAll()
  else if (fault === 'proxy cut (FIN)') proxy.cutAll()
  else if (fault === 'ss -K')
    execFileSync('ss', ['-K', 'dst', '127.0.0.1', 'dport', '=', `:${String(server.port)}`], {
      stdio: 'pipe',
    })
  // The server's own end of every established connection (not the listener: ss lists
  // connected sockets only unless asked for -l/-a).
  else
    execFileSync('ss', ['-K', 'src', '127.0.0.1', 'sport', '=', `:${String(server.port)}`], {
      stdio: 'pipe',
    })
  // Give the client time to see the fault, then stop anything a poll loop reopened.
  await new Promise((resolve) => setTimeout(resolve, 150))
  const settled = first.messages.length
  await new Promise((resolve) => setTimeout(resolve, 150))
  if (protocol === 'websocket' || protocol === 'sse') {
    // A streaming client gets nothing more once its connection is gone.
    expect(first.messages.length, 'stream still delivering after the fault').toBe(settled)
  }
  first.kill()
  proxy.set({ delayMs: 0 })
  const cursor = lastCursor(first)
  await until(() => server.feed.seq >= cursor.since + 20, 5000, 'feed to move on')
  const second = await connect(protocol, base, cursor)
  await second.waitFor((m) => m.type === 'frame' && m.seq >= cursor.since + 30)
  second.kill()
  expect(second.messages.filter((m) => m.type === 'reset' || m.type === 'snapshot')).toEqual([])
  const joined = [...feedSeqs(first.messages), ...feedSeqs(second.messages)]
  expect(feedSeqs(second.messages)[0]).toBe(cursor.since + 1)
  expectContiguous(joined, `${protocol} after ${fault}`)
}

describe.each(PROTOCOLS)('%s killed mid-stream', (protocol) => {
  it('resumes without loss after the proxy resets the connection (RST)', async () => {
    await killAndResume(protocol, 'proxy reset (RST)')
  })

  it('resumes without loss after the proxy cuts the connection (FIN)', async () => {
    await killAndResume(protocol, 'proxy cut (FIN)')
  })

  it.skipIf(ssRefused !== null)(
    `resumes without loss after the kernel destroys the socket (ss -K)${ssRefused === null ? '' : ` — skipped: ${ssRefused}`}`,
    async () => {
      await killAndResume(protocol, 'ss -K')
    },
  )

  it.skipIf(ssRefused !== null)(
    `resumes without loss after the kernel destroys the server's socket (ss -K)${ssRefused === null ? '' : ` — skipped: ${ssRefused}`}`,
    async () => {
      await killAndResume(protocol, 'ss -K server side')
      // The listener survived: a fresh client still connects.
      const fresh = await connect(protocol, server.url)
      await fresh.waitFor((m) => m.type === 'snapshot')
      fresh.kill()
    },
  )
})

/**
 * The conformance guarantees through nginx in front of two fan-out instances (the
 * `npm run cluster` topology, started as child processes), with the per-protocol clients
 * of the conformance suite pointed at the nginx URL.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { NGINX, startCluster, type RunningCluster } from '../../servers/cluster/cluster.ts'
import { redisAvailable } from '../../servers/cluster/redis-process.ts'
import type { ServerMessage } from '../../servers/feed/messages.ts'
import { PROTOCOLS, type Protocol } from '../../servers/transports/protocols.ts'
import { lastCursor, openClient, type FeedClient } from '../conformance/feed-clients.ts'
import { headThenHealth } from '../servers/raw-http.ts'

const RATE = 50
const HISTORY = 200

const feedSeqs = (messages: readonly ServerMessage[]): number[] =>
  messages.flatMap((m) => (m.type === 'frame' || m.type === 'snapshot' ? [m.seq] : []))

function expectContiguous(seqs: readonly number[]): void {
  const gaps = seqs.slice(1).filter((seq, i) => seq !== (seqs[i] ?? 0) + 1)
  expect(gaps, `seqs not consecutive: ${seqs.join(',')}`).toEqual([])
}

const open: FeedClient[] = []
afterEach(() => {
  for (const client of open.splice(0)) client.kill()
})

const missing = !redisAvailable() ? 'redis-server' : !existsSync(NGINX) ? 'nginx' : undefined

describe.skipIf(missing !== undefined)(
  `nginx in front of 2 instances (needs ${missing ?? 'redis-server and nginx'})`,
  () => {
    let cluster: RunningCluster
    beforeAll(async () => {
      cluster = await startCluster({ instances: 2, port: 0, rate: RATE, history: HISTORY })
    }, 30_000)
    afterAll(async () => {
      await cluster.stop()
    })

    async function connect(protocol: Protocol, cursor?: { epoch: string; since: number }) {
      const client = await openClient(protocol, cluster.url, cursor)
      open.push(client)
      return client
    }

    describe.each(PROTOCOLS)('%s', (protocol) => {
      it('sends a snapshot first, then every frame once with seq increasing by 1', async () => {
        const client = await connect(protocol)
        // Through a proxy the first message may come after the upgrade response.
        await client.waitFor(() => true)
        const first = client.messages[0]
        expect(first?.type).toBe('snapshot')
        const start = first?.type === 'snapshot' ? first.seq : -1
        await client.waitFor((m) => m.type === 'frame' && m.seq >= start + 20)
        expect(client.messages.filter((m) => m.type === 'snapshot')).toHaveLength(1)
        expectContiguous(feedSeqs(client.messages))
      })

      it('resumes through nginx (on either instance) with every missed frame once, in order', async () => {
        // Several rounds, so that round robin sends some resumes to the other instance.
        let cursor: { epoch: string; since: number } | undefined
        for (let round = 0; round < 3; round++) {
          const client = await connect(protocol, cursor)
          const since = cursor?.since
          await client.waitFor(
            (m) => m.type === 'frame' && (since === undefined || m.seq >= since + 5),
          )
          client.kill()
          if (since !== undefined) {
            expect(
              client.messages.filter((m) => m.type === 'snapshot' || m.type === 'reset'),
            ).toEqual([])
            expect(feedSeqs(client.messages)[0]).toBe(since + 1)
          }
          expectContiguous(feedSeqs(client.messages))
          cursor = lastCursor(client)
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      })

      it('answers a cursor of an unknown epoch with reset then snapshot', async () => {
        const client = await connect(protocol, { epoch: 'other-epoch', since: 1 })
        const snapshot = await client.waitFor((m) => m.type === 'snapshot')
        expect(client.messages[0]).toMatchObject({ type: 'reset', reason: 'unknown-epoch' })
        expect(client.messages[1]).toBe(snapshot)
      })
    })

    it('websocket: ping and control (same connection) work through the proxy', async () => {
      const client = await connect('websocket')
      expect(await client.ping('via-nginx')).toMatchObject({ type: 'pong', id: 'via-nginx' })
      await client.waitFor((m) => m.type === 'frame')
      await client.control('stop')
      await client.control('start')
      const pausedAt = lastCursor(client).since
      await client.waitFor((m) => m.type === 'frame' && m.seq >= pausedAt + 10)
      expectContiguous(feedSeqs(client.messages))
    })

    it('sse through nginx is not buffered: X-Accel-Buffering no, events as they come', async () => {
      const res = await fetch(`${cluster.url}/sse`)
      expect(res.headers.get('x-accel-buffering')).toBe('no')
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      const first = await reader.read()
      await reader.cancel()
      expect(first.done).toBe(false)
    })

    it.each(['/sse', '/labs/echo/sse'])(
      'answers HEAD %s through nginx with the headers and no body, then the request pipelined after it',
      async (path) => {
        const [head, health] = await headThenHealth(Number(new URL(cluster.url).port), path)
        expect(head).toMatch(/^HTTP\/1\.1 200 /)
        expect(head).toMatch(/content-type: text\/event-stream/i)
        expect(head?.endsWith('\r\n\r\n')).toBe(true)
        expect(health).toMatch(/^HTTP\/1\.1 200 /)
      },
    )

    it('keeps serving and resuming when one instance dies', async () => {
      const client = await connect('websocket')
      await client.waitFor((m) => m.type === 'frame')
      client.kill()
      const cursor = lastCursor(client)
      await cluster.instances[0]?.child.stop()
      for (let round = 0; round < 3; round++) {
        const next = await connect('websocket', cursor)
        await next.waitFor((m) => m.type === 'frame' && m.seq >= cursor.since + 3)
        next.kill()
        expect(feedSeqs(next.messages)[0]).toBe(cursor.since + 1)
        expectContiguous(feedSeqs(next.messages))
      }
    })
  },
)

const OPENSSL = '/usr/bin/openssl'

describe.skipIf(missing !== undefined || !existsSync(OPENSSL))(
  'nginx terminating TLS (needs redis-server, nginx and openssl)',
  () => {
    let cluster: RunningCluster
    let dir: string
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'realtime-tls-'))
      const cert = join(dir, 'cert.pem')
      const key = join(dir, 'key.pem')
      execFileSync(
        OPENSSL,
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-keyout',
          key,
          '-out',
          cert,
        ],
        { stdio: 'ignore' },
      )
      cluster = await startCluster({
        instances: 2,
        port: 0,
        rate: RATE,
        history: HISTORY,
        tls: { cert, key },
      })
    }, 30_000)
    afterAll(async () => {
      await cluster.stop()
      await rm(dir, { recursive: true, force: true })
    })

    it('serves wss:// with the feed behind it', async () => {
      expect(cluster.url).toMatch(/^https:\/\//)
      const socket = new WebSocket(`${cluster.url.replace(/^https/, 'wss')}/ws`, {
        rejectUnauthorized: false,
      })
      const first = await new Promise<ServerMessage>((resolve, reject) => {
        socket.once('message', (data: Buffer) => {
          resolve(JSON.parse(data.toString()) as ServerMessage)
        })
        socket.once('error', reject)
      })
      socket.terminate()
      expect(first).toMatchObject({ type: 'snapshot' })
    })
  },
)

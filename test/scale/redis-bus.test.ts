/**
 * The Redis bus with a real redis-server (started here on a free port, own temp dir):
 * resume across instances, an instance killed mid-stream, ticker restarts, Redis restarts
 * with and without persistence, and outage reporting.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { BUS_DEFAULTS, busKeys } from '../../servers/bus/feed-source.ts'
import { StreamTicker } from '../../servers/bus/stream-ticker.ts'
import {
  startRedis,
  redisAvailable,
  type RedisProcess,
} from '../../servers/cluster/redis-process.ts'
import type { ServerMessage } from '../../servers/feed/messages.ts'
import { PROTOCOLS, type Protocol } from '../../servers/transports/protocols.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { lastCursor, openClient, type FeedClient } from '../conformance/feed-clients.ts'

// 50 Hz and 200 frames (4 s) keep the suite short while every resume stays inside history.
const RATE = 50
const HISTORY = 200

const feedSeqs = (messages: readonly ServerMessage[]): number[] =>
  messages.flatMap((m) => (m.type === 'frame' || m.type === 'snapshot' ? [m.seq] : []))

function expectContiguous(seqs: readonly number[]): void {
  const gaps = seqs.slice(1).filter((seq, i) => seq !== (seqs[i] ?? 0) + 1)
  expect(gaps, `seqs not consecutive: ${seqs.join(',')}`).toEqual([])
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Poll `check` every 25 ms for at most `timeoutMs`. */
async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 8000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(25)
  }
  expect(await check(), 'condition not reached in time').toBe(true)
}

/** One deployment: Redis, a ticker and two fan-out servers in this process. */
interface Deployment {
  redis: RedisProcess
  dir: string
  ticker: StreamTicker
  servers: RunningServer[]
}

const tickerOptions = (url: string) => ({
  url,
  rate: RATE,
  sprites: 3,
  events: 3,
  pad: 0,
  history: HISTORY,
  seed: 7,
})

async function deploy(persistence: 'aof' | 'none', instances = 2): Promise<Deployment> {
  const dir = await mkdtemp(join(tmpdir(), 'realtime-scale-'))
  const redis = await startRedis({ dir, persistence })
  const ticker = await StreamTicker.connect(tickerOptions(redis.url))
  const servers: RunningServer[] = []
  for (let i = 0; i < instances; i++) {
    servers.push(
      await startServer({
        port: 0,
        rate: RATE,
        history: HISTORY,
        serveSite: false,
        bus: redis.url,
      }),
    )
  }
  return { redis, dir, ticker, servers }
}

async function teardown(deployment: Deployment | undefined): Promise<void> {
  if (deployment === undefined) return
  deployment.ticker.close()
  await Promise.all(deployment.servers.map((server) => server.close()))
  await deployment.redis.stop()
  await rm(deployment.dir, { recursive: true, force: true })
}

const open: FeedClient[] = []
afterEach(() => {
  for (const client of open.splice(0)) client.kill()
})

async function connect(protocol: Protocol, url: string, cursor?: { epoch: string; since: number }) {
  const client = await openClient(protocol, url, cursor)
  open.push(client)
  return client
}

async function health(
  server: RunningServer,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}/healthz`)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe.skipIf(!redisAvailable())('Redis bus (needs /usr/bin/redis-server)', () => {
  describe('two instances on one stream', () => {
    let deployment: Deployment
    beforeAll(async () => {
      deployment = await deploy('none')
    })
    afterAll(async () => {
      await teardown(deployment)
    })

    it('gives both instances the same epoch and the same frames, byte for byte', async () => {
      const [a, b] = deployment.servers as [RunningServer, RunningServer]
      await eventually(() => a.feed.seq > 5 && b.feed.seq > 5)
      expect(a.feed.epoch).toBe(b.feed.epoch)
      expect(a.feed.epoch).toBe(deployment.ticker.epoch)
      const seq = Math.min(a.feed.seq, b.feed.seq)
      expect(a.feed.history.get(seq)).toBe(b.feed.history.get(seq))
    })

    it.each(PROTOCOLS)(
      '%s: a client killed on instance A resumes on B with every missed frame once, in order',
      async (protocol) => {
        const [a, b] = deployment.servers as [RunningServer, RunningServer]
        const first = await connect(protocol, a.url)
        await first.waitFor((m) => m.type === 'frame')
        first.kill()
        const cursor = lastCursor(first)
        await eventually(() => b.feed.seq >= cursor.since + 10)
        const second = await connect(protocol, b.url, cursor)
        await second.waitFor((m) => m.type === 'frame' && m.seq >= cursor.since + 15)
        expect(second.messages.filter((m) => m.type === 'snapshot' || m.type === 'reset')).toEqual(
          [],
        )
        const seqs = feedSeqs(second.messages)
        expect(seqs[0]).toBe(cursor.since + 1)
        expectContiguous(seqs)
      },
    )

    it('steps over a poison entry in the stream, counts it, and every client keeps its stream', async () => {
      const [a, b] = deployment.servers as [RunningServer, RunningServer]
      const watcher = await connect('websocket', a.url)
      await watcher.waitFor((m) => m.type === 'frame')
      const writer = createClient({ url: deployment.redis.url })
      await writer.connect()
      try {
        await writer.sendCommand([
          'XADD',
          busKeys(BUS_DEFAULTS.prefix).stream,
          '*',
          'seq',
          'x',
          'frame',
          '{oops',
        ])
      } finally {
        writer.destroy()
      }
      const after = Math.max(a.feed.seq, b.feed.seq)
      await eventually(() => a.feed.seq > after + 10 && b.feed.seq > after + 10)
      await watcher.waitFor((m) => m.type === 'frame' && m.seq > after + 10)
      expectContiguous(feedSeqs(watcher.messages))
      for (const server of [a, b]) {
        const { status, body } = await health(server)
        expect(status).toBe(200)
        const bus = body['bus'] as { lastRejected?: string }
        expect(bus).toMatchObject({ up: true, rejectedEntries: 1 })
        expect(String(bus.lastRejected)).toMatch(/lacks seq or frame/)
        const metrics = await (await fetch(`${server.url}/metrics`)).text()
        expect(metrics).toMatch(/^realtime_bus_rejected_entries_total 1$/m)
      }
    })

    it('keeps seq continuous and the epoch when the ticker restarts', async () => {
      const b = deployment.servers[1] as RunningServer
      const client = await connect('websocket', b.url)
      await client.waitFor((m) => m.type === 'frame')
      const epoch = deployment.ticker.epoch
      deployment.ticker.close()
      await sleep(300)
      // Redis is fine, but no frame came for a while: health says so.
      const stalled = (await health(b)).body['bus'] as { up: boolean; lastFrameAgeMs: number }
      expect(stalled.up).toBe(true)
      expect(stalled.lastFrameAgeMs).toBeGreaterThanOrEqual(200)
      const stoppedAt = b.feed.seq
      deployment.ticker = await StreamTicker.connect(tickerOptions(deployment.redis.url))
      expect(deployment.ticker.epoch).toBe(epoch)
      expect((await health(b)).body['bus']).toMatchObject({ up: true })
      await client.waitFor((m) => m.type === 'frame' && m.seq >= stoppedAt + 10)
      expectContiguous(feedSeqs(client.messages))
      expect(client.messages.every((m) => !('epoch' in m) || m.epoch === epoch)).toBe(true)
    })
  })

  describe('an instance killed mid-stream', () => {
    let deployment: Deployment | undefined
    afterAll(async () => {
      await teardown(deployment)
    })

    it('its clients resume on the other instance without loss or duplicates', async () => {
      deployment = await deploy('none')
      const [a, b] = deployment.servers as [RunningServer, RunningServer]
      const clients = await Promise.all(PROTOCOLS.map((protocol) => connect(protocol, a.url)))
      await Promise.all(clients.map((client) => client.waitFor((m) => m.type === 'frame')))
      await a.close()
      const resumed = await Promise.all(
        clients.map(async (client) => {
          const cursor = lastCursor(client)
          const next = await connect(client.protocol, b.url, cursor)
          await next.waitFor((m) => m.type === 'frame' && m.seq >= cursor.since + 10)
          return { cursor, next }
        }),
      )
      for (const { cursor, next } of resumed) {
        expect(next.messages.filter((m) => m.type === 'reset')).toEqual([])
        const seqs = feedSeqs(next.messages)
        expect(seqs[0], next.protocol).toBe(cursor.since + 1)
        expectContiguous(seqs)
      }
    })
  })

  describe('Redis restarts', () => {
    let deployment: Deployment | undefined
    afterEach(async () => {
      await teardown(deployment)
      deployment = undefined
    })

    it('with persistence (AOF): reports the outage, keeps the epoch, backfills without a gap', async () => {
      deployment = await deploy('aof', 1)
      const server = deployment.servers[0] as RunningServer
      const client = await connect('websocket', server.url)
      await client.waitFor((m) => m.type === 'frame')
      const epoch = server.feed.epoch
      const port = deployment.redis.port
      await deployment.redis.stop()
      await eventually(async () => (await health(server)).status === 503)
      const down = await health(server)
      expect(down.body).toMatchObject({ status: 'degraded', bus: { kind: 'redis', up: false } })
      expect(typeof down.body['reason']).toBe('string')
      const metrics = await (await fetch(`${server.url}/metrics`)).text()
      expect(metrics).toMatch(/^realtime_bus_up 0$/m)
      const seqDuringOutage = server.feed.seq
      await sleep(500)
      deployment.redis = await startRedis({ dir: deployment.dir, port, persistence: 'aof' })
      await eventually(async () => (await health(server)).status === 200)
      await client.waitFor((m) => m.type === 'frame' && m.seq >= seqDuringOutage + 40)
      expect(server.feed.epoch).toBe(epoch)
      // The client stayed connected and got every frame, those made during the outage too.
      expectContiguous(feedSeqs(client.messages))
      expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^realtime_bus_up 1$/m)
    })

    it('without persistence: a new epoch, and an old cursor gets reset(unknown-epoch) + snapshot', async () => {
      deployment = await deploy('none', 1)
      const server = deployment.servers[0] as RunningServer
      const first = await connect('sse', server.url)
      await first.waitFor((m) => m.type === 'frame')
      const oldEpoch = server.feed.epoch
      // The cursor is taken before the restart: a live client would follow the new epoch.
      first.kill()
      const cursor = lastCursor(first)
      expect(cursor.epoch).toBe(oldEpoch)
      const port = deployment.redis.port
      await deployment.redis.stop()
      deployment.redis = await startRedis({ dir: deployment.dir, port, persistence: 'none' })
      await eventually(
        () => server.feed.epoch !== oldEpoch && deployment?.ticker.epoch === server.feed.epoch,
      )
      const second = await connect('sse', server.url, cursor)
      const snapshot = await second.waitFor((m) => m.type === 'snapshot')
      expect(second.messages[0]).toMatchObject({
        type: 'reset',
        reason: 'unknown-epoch',
        epoch: server.feed.epoch,
      })
      expect(snapshot).toMatchObject({ epoch: server.feed.epoch })
    })
  })
})

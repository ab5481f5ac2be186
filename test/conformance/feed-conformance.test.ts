/**
 * The conformance suite of DESIGN.md's guarantees, run unchanged against all four
 * protocols through the per-protocol clients of `feed-clients.ts`, once per feed encoding:
 * `--encoding binary` changes the wire form of WebSocket and SSE only (polls answer JSON
 * either way), so that pass runs the per-protocol suite on those two and the
 * cross-protocol check on all four.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FeedEncoding } from '../../servers/feed/binary-layout.ts'
import type { ServerMessage } from '../../servers/feed/messages.ts'
import { PROTOCOL_TABLE, PROTOCOLS, type Protocol } from '../../servers/transports/protocols.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { lastCursor, openClient, type FeedClient } from './feed-clients.ts'

// Fast ticks and a short history keep the suite quick: 100 frames = 2 s at 50 Hz.
const RATE = 50
const HISTORY = 100

const ENCODINGS: readonly { encoding: FeedEncoding; protocols: readonly Protocol[] }[] = [
  { encoding: 'json', protocols: PROTOCOLS },
  {
    encoding: 'binary',
    protocols: PROTOCOLS.filter((protocol) => PROTOCOL_TABLE[protocol].followsEncoding),
  },
]

const feedSeqs = (messages: readonly ServerMessage[]): number[] =>
  messages.flatMap((m) => (m.type === 'frame' || m.type === 'snapshot' ? [m.seq] : []))

/** Expect consecutive seqs: every frame exactly once, in order. */
function expectContiguous(seqs: readonly number[]): void {
  const gaps = seqs.slice(1).filter((seq, i) => seq !== (seqs[i] ?? 0) + 1)
  expect(gaps, `seqs not consecutive: ${seqs.join(',')}`).toEqual([])
}

describe.each(ENCODINGS)('--encoding $encoding', ({ encoding, protocols }) => {
  let server: RunningServer
  const open: FeedClient[] = []

  beforeAll(async () => {
    server = await startServer({
      port: 0,
      rate: RATE,
      history: HISTORY,
      encoding,
      serveSite: false,
    })
  })

  afterAll(async () => {
    for (const client of open) client.kill()
    await server.close()
  })

  async function connect(
    protocol: Protocol,
    cursor?: { epoch: string; since: number },
  ): Promise<FeedClient> {
    const client = await openClient(protocol, server.url, cursor)
    open.push(client)
    return client
  }

  /** Wait until the server's feed has reached `seq`. */
  async function feedAt(seq: number): Promise<void> {
    for (let i = 0; i < 500 && server.feed.seq < seq; i++) {
      await new Promise((r) => setTimeout(r, 10))
    }
    expect(server.feed.seq).toBeGreaterThanOrEqual(seq)
  }

  describe.each(protocols)('%s', (protocol) => {
    it('sends a snapshot first, then every frame once with seq increasing by 1', async () => {
      const client = await connect(protocol)
      const first = client.messages[0]
      expect(first?.type).toBe('snapshot')
      const start = first?.type === 'snapshot' ? first.seq : -1
      await client.waitFor((m) => m.type === 'frame' && m.seq >= start + 20)
      client.kill()
      expect(client.messages.filter((m) => m.type === 'snapshot')).toHaveLength(1)
      expectContiguous(feedSeqs(client.messages))
    })

    it('resumes after a killed connection with every missed frame once, in order, before live ones', async () => {
      const first = await connect(protocol)
      await first.waitFor((m) => m.type === 'frame')
      first.kill()
      const cursor = lastCursor(first)
      // Miss about ten frames, well inside the history.
      await feedAt(cursor.since + 10)
      const second = await connect(protocol, cursor)
      await second.waitFor((m) => m.type === 'frame' && m.seq >= cursor.since + 15)
      second.kill()
      expect(second.messages.filter((m) => m.type === 'snapshot' || m.type === 'reset')).toEqual([])
      const seqs = feedSeqs(second.messages)
      expect(seqs[0]).toBe(cursor.since + 1)
      expectContiguous(seqs)
    })

    it.each([
      ['expired', (epoch: string) => ({ epoch, since: 1 })],
      ['unknown-epoch', () => ({ epoch: 'other-epoch', since: 1 })],
      ['ahead', (epoch: string) => ({ epoch, since: 1_000_000 })],
    ] as const)(
      'answers a cursor it cannot serve (%s) with reset then snapshot',
      async (reason, makeCursor) => {
        await feedAt(HISTORY + 5)
        const client = await connect(protocol, makeCursor(server.feed.epoch))
        const snapshot = await client.waitFor((m) => m.type === 'snapshot')
        client.kill()
        const [reset, second] = client.messages
        expect(reset).toMatchObject({ type: 'reset', reason, epoch: server.feed.epoch })
        expect(second).toBe(snapshot)
        expectContiguous(feedSeqs(client.messages))
      },
    )

    it('pauses on stop and, on start, delivers what it missed without loss', async () => {
      const client = await connect(protocol)
      await client.waitFor((m) => m.type === 'frame')
      await client.control('stop')
      // Let a reply already in flight land, then expect silence.
      await new Promise((r) => setTimeout(r, 200))
      const whilePaused = client.messages.length
      const pausedAt = server.feed.seq
      await feedAt(pausedAt + 15)
      expect(client.messages.length).toBe(whilePaused)
      await client.control('start')
      await client.waitFor((m) => m.type === 'frame' && m.seq >= pausedAt + 20)
      client.kill()
      expect(client.messages.filter((m) => m.type === 'snapshot')).toHaveLength(1)
      expectContiguous(feedSeqs(client.messages))
    })

    it('answers ping with pong', async () => {
      const client = await connect(protocol)
      const pong = await client.ping('p-1')
      client.kill()
      expect(pong).toMatchObject({ type: 'pong', id: 'p-1' })
      expect(Math.abs(pong.t - (performance.timeOrigin + performance.now()))).toBeLessThan(5000)
    })
  })

  describe('all four protocols', () => {
    it('number the same frames with the same epoch and seq, byte for byte', async () => {
      const clients = await Promise.all(PROTOCOLS.map((protocol) => connect(protocol)))
      const target = server.feed.seq + 10
      await Promise.all(
        clients.map((client) => client.waitFor((m) => m.type === 'frame' && m.seq >= target)),
      )
      for (const client of clients) client.kill()
      const frameAt = (client: FeedClient) =>
        client.messages.find((m) => m.type === 'frame' && m.seq === target)
      const reference = frameAt(clients[0] as FeedClient)
      expect(reference).toMatchObject({ type: 'frame', epoch: server.feed.epoch, seq: target })
      for (const client of clients) expect(frameAt(client), client.protocol).toEqual(reference)
    })
  })
})

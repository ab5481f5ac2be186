/**
 * Every protocol streams through every link profile without a gap: one client per
 * protocol behind an in-process relay with the profile's delay and caps, at the feed's
 * default rate. (The loss profiles need a network namespace: test/network/loss.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { PROTOCOLS } from '../../servers/transports/protocols.ts'
import { PROFILE_NAMES, needsRelay, profileOf } from '../../load/network/profiles.ts'
import { LinkRelay, linkOf } from '../../load/network/relay.ts'
import { openClient, type FeedClient } from '../conformance/feed-clients.ts'
import { expectContiguous, feedSeqs } from '../faults/stream-checks.ts'

const RATE = 20
const SECONDS = 4
const clean = PROFILE_NAMES.filter((name) => profileOf(name).lossPercent === 0)

let server: RunningServer
const relays: LinkRelay[] = []
const clients: FeedClient[] = []

beforeAll(async () => {
  server = await startServer({ port: 0, rate: RATE, history: 600, serveSite: false })
})
afterAll(async () => {
  for (const client of clients) client.kill()
  await Promise.all(relays.map((relay) => relay.close()))
  await server.close()
})

describe('every protocol through every link profile', () => {
  it(`streams with no gap on ${clean.join(', ')}`, async () => {
    const { port } = new URL(server.url)
    const runs = await Promise.all(
      clean.map(async (name) => {
        const profile = profileOf(name)
        let url = server.url
        if (needsRelay(profile)) {
          const relay = await LinkRelay.start({
            upstream: { host: '127.0.0.1', port: Number(port) },
            link: linkOf(profile),
          })
          relays.push(relay)
          url = relay.url
        }
        return Promise.all(
          PROTOCOLS.map(async (protocol) => {
            const client = await openClient(protocol, url)
            clients.push(client)
            return { name, protocol, client }
          }),
        )
      }),
    )
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
    for (const { name, protocol, client } of runs.flat()) {
      const seqs = feedSeqs(client.messages)
      const label = `${protocol} over ${name}`
      expectContiguous(seqs, label)
      // The stream kept up: about RATE frames a second arrived, less the link's round trips.
      expect(seqs.length, label).toBeGreaterThan(RATE * (SECONDS - 1.5))
    }
    expect(relays.every((relay) => relay.stats().bytesDown > 0)).toBe(true)
  }, 30_000)
})

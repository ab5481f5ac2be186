/**
 * Real loss: the server runs in a network namespace behind a veth pair whose packets
 * nftables drops at the profile's rate (3 %), with the relay's 4g delay and caps in front.
 * Every protocol still streams with no gap (TCP retransmits what was lost), and the
 * namespace's kernel counters show the retransmissions. Skipped, with the reason, where
 * namespaces cannot be made.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from '../../load/kit/server-process.ts'
import {
  createLossNamespace,
  lossUnavailable,
  parseRetransSegs,
  type LossNamespace,
} from '../../load/network/loss-namespace.ts'
import { profileOf } from '../../load/network/profiles.ts'
import { LinkRelay, linkOf } from '../../load/network/relay.ts'
import { PROTOCOLS } from '../../servers/transports/protocols.ts'
import { openClient, type FeedClient } from '../conformance/feed-clients.ts'
import { expectContiguous, feedSeqs } from '../faults/stream-checks.ts'

const RATE = 20
const SECONDS = 6
const unavailable = lossUnavailable()

let namespace: LossNamespace | undefined
let server: ServerProcess | undefined
let relay: LinkRelay | undefined
const clients: FeedClient[] = []

afterAll(async () => {
  for (const client of clients) client.kill()
  await relay?.close()
  await server?.stop()
  namespace?.close()
})

describe('parseRetransSegs', () => {
  it('reads the counter from nstat, and refuses output without it', () => {
    expect(
      parseRetransSegs('#kernel\nTcpRetransSegs                  42                  0.0\n'),
    ).toBe(42)
    expect(() => parseRetransSegs('#kernel\n')).toThrow(/no TcpRetransSegs/)
  })
})

describe.skipIf(unavailable !== null)(
  `real loss in a network namespace${unavailable === null ? '' : ` — skipped: ${unavailable}`}`,
  () => {
    it('refuses a share outside [0, 100), and a second namespace of the same name, leaving the first', () => {
      expect(() => createLossNamespace(100, 'x')).toThrow(/\[0, 100\)/)
      const first = createLossNamespace(1, `d${String(process.pid)}`)
      try {
        expect(() => createLossNamespace(1, `d${String(process.pid)}`)).toThrow(
          /could not make the loss namespace: .*ip netns add/,
        )
        expect(first.retransmittedSegments().inside).toBe(0)
        // Nothing of ours crossed the link; the kernel's own IPv6 neighbour discovery may have.
        expect(first.packets().seen).toBeLessThan(10)
      } finally {
        first.close()
      }
    })

    it('streams every protocol with no gap over 4g with 3 % loss, and the kernel retransmits', async () => {
      const profile = profileOf('4g-lossy-3')
      namespace = createLossNamespace(profile.lossPercent, `t${String(process.pid)}`)
      server = await startServerProcess({
        host: namespace.serverHost,
        args: ['--rate', String(RATE), '--history', '600'],
        prefix: namespace.prefix,
      })
      relay = await LinkRelay.start({
        upstream: { host: namespace.serverHost, port: server.port },
        link: linkOf(profile),
      })
      const retransmittedBefore = namespace.retransmittedSegments()
      const opened = await Promise.all(
        PROTOCOLS.map((protocol) => openClient(protocol, relay?.url ?? '')),
      )
      clients.push(...opened)
      await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
      for (const client of opened) {
        const seqs = feedSeqs(client.messages)
        expectContiguous(seqs, client.protocol)
        expect(seqs.length, client.protocol).toBeGreaterThan(RATE * (SECONDS - 3))
      }
      // About 3 % of the packets across the veth were dropped (a few hundred packets: wide bounds).
      const { seen, dropped } = namespace.packets()
      expect(seen).toBeGreaterThan(300)
      expect(dropped).toBeGreaterThan(0)
      expect(dropped / seen).toBeLessThan(0.08)
      // A dropped segment is sent again by whichever side sent it: the server inside, the relay outside.
      const retransmitted = namespace.retransmittedSegments()
      expect(
        retransmitted.inside + retransmitted.outside,
        `retransmissions inside ${String(retransmitted.inside - retransmittedBefore.inside)}, outside ${String(retransmitted.outside - retransmittedBefore.outside)}`,
      ).toBeGreaterThan(retransmittedBefore.inside + retransmittedBefore.outside)
    }, 40_000)
  },
)

import { afterEach, describe, expect, it } from 'vitest'
import { freePorts } from '../kit/child-process.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { liveLinksOf, startLiveLinks, type LiveLinks } from './live-links.ts'
import { lossUnavailable } from './loss-namespace.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** The time of one `GET url`, ms, and its JSON body. */
async function timed(url: string): Promise<{ ms: number; body: unknown }> {
  const started = performance.now()
  const response = await fetch(url, { cache: 'no-store' })
  const body: unknown = await response.json()
  return { ms: performance.now() - started, body }
}

describe('liveLinksOf', () => {
  it('lists the server first, then one link per profile on the ports after it', () => {
    expect(liveLinksOf(['4g', '3g'], '127.0.0.1', 8080)).toEqual([
      { name: 'loopback', label: 'loopback (no relay)', url: 'http://127.0.0.1:8080' },
      { name: '4g', label: expect.stringMatching(/^4G/) as unknown, url: 'http://127.0.0.1:8081' },
      { name: '3g', label: expect.stringMatching(/^3G/) as unknown, url: 'http://127.0.0.1:8082' },
    ])
    expect(liveLinksOf(['4g'], '::1', 9000, true)[1]?.url).toBe('https://[::1]:9001')
  })

  it('refuses port 0, an unknown profile, loopback, and loss where no namespace can be made, naming why', () => {
    expect(() => liveLinksOf(['4g'], '127.0.0.1', 0)).toThrow(/needs a fixed --port/)
    expect(() => liveLinksOf(['5g'], '127.0.0.1', 8080)).toThrow(/unknown network profile "5g"/)
    expect(() => liveLinksOf(['loopback'], '127.0.0.1', 8080)).toThrow(/adds nothing/)
    if (lossUnavailable() !== null) {
      expect(() => liveLinksOf(['4g-lossy'], '127.0.0.1', 8080)).toThrow(
        /4g-lossy drops packets in a network namespace: /,
      )
    }
  })
})

describe('startLiveLinks', () => {
  it('serves the same server through each link, with the link’s delay; /api/links lists them', async () => {
    const port = await freePorts(2)
    const links = liveLinksOf(['4g'], '127.0.0.1', port)
    const server: RunningServer = await startServer({ port, liveLinks: links })
    cleanups.push(() => server.close())
    const relays: LiveLinks = await startLiveLinks(links, { host: '127.0.0.1', port })
    cleanups.push(() => relays.close())
    const direct = await timed(`${server.url}/api/links`)
    expect(direct.body).toEqual({ links })
    // Through 4g: a new connection's handshake and the request are two round trips of 150 ms.
    const over = await timed(`${links[1]?.url ?? ''}/api/links`)
    expect(over.body).toEqual({ links })
    expect(over.ms).toBeGreaterThan(300 - 5)
    expect(direct.ms).toBeLessThan(100)
    // A link whose port is taken fails to start and leaves nothing running.
    await expect(startLiveLinks(links, { host: '127.0.0.1', port })).rejects.toThrow(/EADDRINUSE/)
  })

  it.skipIf(lossUnavailable() !== null)(
    'carries a lossy link through a namespace and back to the same server',
    async () => {
      const port = await freePorts(2)
      const links = liveLinksOf(['4g-lossy-3'], '127.0.0.1', port)
      const server = await startServer({ port, liveLinks: links })
      cleanups.push(() => server.close())
      const relays = await startLiveLinks(links, { host: '127.0.0.1', port })
      cleanups.push(() => relays.close())
      const through = links[1]?.url ?? ''
      for (let i = 0; i < 5; i++) {
        const { body } = await timed(`${through}/api/feed`)
        expect(body).toMatchObject({ type: 'snapshot', epoch: server.feed.epoch })
      }
    },
  )
})

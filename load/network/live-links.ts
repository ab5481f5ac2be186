/**
 * `npm start -- --live-networks 4g,3g`: the server as usual, plus one emulated link in front
 * of it per profile, each on its own port (the server's port + 1, + 2, …). A browser that
 * opens the live page through a link's address crosses that link for every request and
 * stream; the page lists the links (`GET /api/links`) and switches between them.
 *
 * A profile with loss (`4g-lossy`) needs real drops, which only nftables in a network
 * namespace makes (loss-namespace.ts); the server stays where it is, so the link's path
 * crosses the namespace's veth and back: the delaying relay here → a plain relay process
 * inside the namespace → a plain relay on this side's veth address → the server. Each
 * crossing is its own TCP connection and drops half the profile's share, so a stream loses
 * about the profile's share in each direction and each hop's kernel retransmits.
 */
import type { LiveLink } from '../../servers/http/options.ts'
import { createLossNamespace, lossUnavailable, type LossNamespace } from './loss-namespace.ts'
import { needsRelay, profileOf } from './profiles.ts'
import { startRelayProcess, type RelayProcess } from './relay-process.ts'
import { LinkRelay, linkOf } from './relay.ts'

/**
 * The links of `names` in front of a server on `host`:`port`, on the ports after it, after
 * the server's own address (`loopback`).
 * @param secure the server speaks TLS: the links (plain TCP relays) carry it through, as https
 * @throws Error naming the problem: port 0, an unknown profile, loopback, a profile with loss
 */
export function liveLinksOf(
  names: readonly string[],
  host: string,
  port: number,
  secure = false,
): LiveLink[] {
  if (port === 0)
    throw new Error('--live-networks needs a fixed --port: its links take the next ports')
  const shown = host.includes(':') ? `[${host}]` : host
  const scheme = secure ? 'https' : 'http'
  const direct = profileOf('loopback')
  const links = names.map((name, index) => {
    const profile = profileOf(name)
    if (!needsRelay(profile)) {
      throw new Error(`--live-networks: ${name} adds nothing; the server itself is loopback`)
    }
    const why = profile.lossPercent > 0 ? lossUnavailable() : null
    if (why !== null) {
      throw new Error(`--live-networks: ${name} drops packets in a network namespace: ${why}`)
    }
    return { name, label: profile.label, url: `${scheme}://${shown}:${String(port + 1 + index)}` }
  })
  // The server itself comes first: the page switches back to it as to any link.
  return [
    { name: direct.name, label: direct.label, url: `${scheme}://${shown}:${String(port)}` },
    ...links,
  ]
}

/** Running relays for {@link liveLinksOf}'s links; `close` stops them all. */
export interface LiveLinks {
  close(): Promise<void>
}

/**
 * Starts one relay per link, each forwarding to the server at `upstream` (through a loss
 * namespace for a profile with loss).
 * @throws Error when a link's port is taken or its namespace cannot be made (what was already
 * started is stopped)
 */
export async function startLiveLinks(
  links: readonly LiveLink[],
  upstream: { host: string; port: number },
): Promise<LiveLinks> {
  const relays: LinkRelay[] = []
  const children: RelayProcess[] = []
  const namespaces: LossNamespace[] = []
  const close = async (): Promise<void> => {
    await Promise.all(relays.map((relay) => relay.close()))
    await Promise.all(children.map((child) => child.stop()))
    for (const namespace of namespaces) namespace.close()
  }
  try {
    for (const link of links) {
      if (link.name === 'loopback') continue
      const profile = profileOf(link.name)
      const url = new URL(link.url)
      let target = upstream
      if (profile.lossPercent > 0) {
        const namespace = createLossNamespace(profile.lossPercent / 2, `lv${url.port}`)
        namespaces.push(namespace)
        const back = await LinkRelay.start({ upstream, host: namespace.hostAddress, port: 0 })
        relays.push(back)
        const inside = await startRelayProcess({
          upstream: `http://${namespace.hostAddress}:${String(back.port)}`,
          prefix: namespace.prefix,
          args: ['--host', namespace.serverHost],
        })
        children.push(inside)
        target = { host: namespace.serverHost, port: Number(new URL(inside.url).port) }
      }
      relays.push(
        await LinkRelay.start({
          upstream: target,
          host: url.hostname.replace(/^\[|\]$/g, ''),
          port: Number(url.port),
          link: linkOf(profile),
        }),
      )
    }
  } catch (error) {
    await close()
    throw error
  }
  return { close }
}

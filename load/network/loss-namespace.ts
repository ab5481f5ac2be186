/**
 * Real packet loss for the link emulator: a network namespace joined to this one by a veth
 * pair, where nftables drops a share of the packets in each direction (`numgen random`).
 * The server runs inside (under {@link LossNamespace.prefix}) and listens on
 * {@link LossNamespace.serverHost}; the relay or the load connects from outside. The drops
 * are real: the kernel's own TCP notices and retransmits, which the namespace's
 * `TcpRetransSegs` counter shows. Needs root (CAP_NET_ADMIN), `ip` and `nft`; where they are
 * missing, {@link lossUnavailable} says why in one line and the loss profiles are skipped.
 *
 * The veth itself adds no delay: the relay's delay sits beside it, not on it, so the
 * kernel's retransmission timer sees the short round trip of the veth, and a loss costs
 * its minimum RTO (200 ms on Linux) or a fast retransmit, not one scaled to the profile's RTT.
 */
import { execFileSync } from 'node:child_process'

/** A namespace with loss between it and this one. */
export interface LossNamespace {
  /** The namespace's name (`rl-<tag>`). */
  readonly name: string
  /** The command a process runs under to live inside it: `ip netns exec <name>`. */
  readonly prefix: readonly string[]
  /** The address a server inside listens on (the namespace's end of the veth). */
  readonly serverHost: string
  /** The address of this namespace's end of the veth. */
  readonly hostAddress: string
  /** Share of packets dropped in each direction, percent. */
  readonly lossPercent: number
  /**
   * Segments TCP has retransmitted so far (`nstat` TcpRetransSegs): inside the namespace (the
   * server's side) and outside it (this namespace's, the relay's and the load's side, which
   * counts the whole of this namespace's TCP).
   */
  retransmittedSegments(): { inside: number; outside: number }
  /** Packets across the veth so far, both directions: all that reached the rules, and those dropped. */
  packets(): { seen: number; dropped: number }
  /** Deletes the namespace (its nftables table and veth go with it). */
  close(): void
}

function run(command: string, ...args: string[]): string {
  return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
}

/** Why a loss namespace cannot be made here, in one line; null when it can. */
export function lossUnavailable(): string | null {
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['nft', ['--version']],
    ['nstat', ['-V']],
  ] as const) {
    try {
      run(tool, ...args)
    } catch {
      return `${tool} is not installed (apt-get install -y iproute2 nftables)`
    }
  }
  if (process.getuid?.() !== 0) return 'network namespaces need root (CAP_NET_ADMIN)'
  return null
}

/** `TcpRetransSegs` from the text of `nstat -az TcpRetransSegs`. */
export function parseRetransSegs(text: string): number {
  const match = /^TcpRetransSegs\s+(\d+)/m.exec(text)
  if (match?.[1] === undefined) throw new Error(`nstat printed no TcpRetransSegs: ${text}`)
  return Number(match[1])
}

/**
 * Creates the namespace, its veth pair (10.201.<n>.1 here, 10.201.<n>.2 inside) and the
 * drop rules. `tag` keeps concurrent namespaces apart (default: this process's pid).
 *
 * @throws Error naming the command that failed (after removing what it had made).
 */
export function createLossNamespace(lossPercent: number, tag = String(process.pid)): LossNamespace {
  if (!(lossPercent >= 0 && lossPercent < 100)) {
    throw new Error(`loss must be a percentage in [0, 100), got ${String(lossPercent)}`)
  }
  const name = `rl-${tag}`
  // Interface names hold at most 15 bytes; the subnet's third byte comes from the tag.
  const short = tag.slice(-8)
  const outside = `rlh${short}`
  const inside = `rln${short}`
  const subnet = `10.201.${String(Number(tag.replace(/\D/g, '') || '0') % 250)}`
  const hostAddress = `${subnet}.1`
  const serverHost = `${subnet}.2`
  const inNs = (...args: string[]): string => run('ip', 'netns', 'exec', name, ...args)
  // A thousandth is nftables' step: 1 % drops packets whose random number mod 1000 is < 10.
  const perMille = String(Math.round(lossPercent * 10))
  // Only what this call made is removed: a namespace of the same name is someone else's.
  let madeNamespace = false
  let madeLink = false
  const close = (): void => {
    if (madeNamespace) {
      try {
        run('ip', 'netns', 'delete', name)
      } catch {
        // Already gone.
      }
    }
    if (madeLink) {
      try {
        run('ip', 'link', 'delete', outside)
      } catch {
        // Deleted with the namespace.
      }
    }
    madeNamespace = madeLink = false
    process.off('exit', close)
  }
  // A process that ends without closing it (an uncaught error, process.exit) still removes it.
  process.once('exit', close)
  try {
    run('ip', 'netns', 'add', name)
    madeNamespace = true
    run('ip', 'link', 'add', outside, 'type', 'veth', 'peer', 'name', inside)
    madeLink = true
    run('ip', 'link', 'set', inside, 'netns', name)
    run('ip', 'addr', 'add', `${hostAddress}/30`, 'dev', outside)
    run('ip', 'link', 'set', outside, 'up')
    inNs('ip', 'addr', 'add', `${serverHost}/30`, 'dev', inside)
    inNs('ip', 'link', 'set', inside, 'up')
    inNs('ip', 'link', 'set', 'lo', 'up')
    if (lossPercent > 0) {
      inNs('nft', 'add', 'table', 'inet', 'rlloss')
      for (const [chain, hook, match] of [
        ['in', 'input', 'iifname'],
        ['out', 'output', 'oifname'],
      ] as const) {
        inNs(
          'nft',
          'add',
          'chain',
          'inet',
          'rlloss',
          chain,
          `{ type filter hook ${hook} priority 0 ; policy accept ; }`,
        )
        // The first rule counts every packet, the second drops a share and counts those.
        inNs('nft', 'add', 'rule', 'inet', 'rlloss', chain, match, inside, 'counter')
        inNs(
          'nft',
          'add',
          'rule',
          'inet',
          'rlloss',
          chain,
          match,
          inside,
          'numgen',
          'random',
          'mod',
          '1000',
          '<',
          perMille,
          'counter',
          'drop',
        )
      }
    }
  } catch (error) {
    close()
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? ''
    throw new Error(
      `could not make the loss namespace: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}${stderr === '' ? '' : ` (${stderr})`}`,
      { cause: error },
    )
  }
  return {
    name,
    prefix: ['ip', 'netns', 'exec', name],
    serverHost,
    hostAddress,
    lossPercent,
    packets: () => {
      if (lossPercent === 0) return { seen: 0, dropped: 0 }
      // Counters in rule order: every packet in, dropped in, every packet out, dropped out.
      const listing = inNs('nft', 'list', 'table', 'inet', 'rlloss')
      const [allIn = 0, droppedIn = 0, allOut = 0, droppedOut = 0] = [
        ...listing.matchAll(/counter packets (\d+)/g),
      ].map((match) => Number(match[1]))
      return { seen: allIn + allOut, dropped: droppedIn + droppedOut }
    },
    retransmittedSegments: () => ({
      inside: parseRetransSegs(inNs('nstat', '-asz', 'TcpRetransSegs')),
      outside: parseRetransSegs(run('nstat', '-asz', 'TcpRetransSegs')),
    }),
    close,
  }
}

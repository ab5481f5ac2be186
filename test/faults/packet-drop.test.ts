/**
 * Packet drop: the server and a client process run inside a network namespace the test
 * creates; an nftables rule on the namespace's loopback drops every packet to and from the
 * server port for a few seconds, then is removed. Clients that resume with their cursor
 * once the path works again receive every frame exactly once, in order, with no reset
 * (guarantee 2), on all four protocols. Needs root (CAP_NET_ADMIN) and `nft`.
 */
import { execFileSync, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { ServerMessage } from '../../servers/feed/messages.ts'
import type { Protocol } from '../../servers/transports/protocols.ts'
import { startServerProcess, type ServerProcess } from '../../load/kit/server-process.ts'
import { expectContiguous, feedSeqs } from './stream-checks.ts'

const NS = `rl-test-${String(process.pid)}`
const PORT = 18_080
const CLIENT = fileURLToPath(new URL('./resuming-client.ts', import.meta.url))
const DROP_S = 3
const RUN_S = 11

function run(...command: string[]): void {
  const [file, ...args] = command
  execFileSync(file ?? '', args, { stdio: 'pipe' })
}

/** Creates the namespace, or says in one line why it cannot. */
function createNamespace(): string | null {
  try {
    run('nft', '--version')
  } catch {
    return 'nft is not installed'
  }
  try {
    run('ip', 'netns', 'add', NS)
    run('ip', 'netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up')
    return null
  } catch (error) {
    return `network namespace refused: ${String(error).split('\n')[0] ?? ''}`
  }
}
const refused = createNamespace()
let server: ServerProcess | undefined

afterAll(() => {
  server?.child.kill('SIGKILL')
  if (refused === null) {
    // Deleting the namespace also removes its nftables table.
    try {
      run('ip', 'netns', 'exec', NS, 'nft', 'delete', 'table', 'inet', 'rltest')
    } catch {
      // Already removed by the test.
    }
    run('ip', 'netns', 'delete', NS)
  }
})

const nft = (...args: string[]): void => {
  run('ip', 'netns', 'exec', NS, 'nft', ...args)
}

describe.skipIf(refused !== null)(
  `packet drop in a network namespace${refused === null ? '' : ` — skipped: ${refused}`}`,
  () => {
    it('resumes every protocol without loss once the drop ends', async () => {
      server = await startServerProcess({
        port: PORT,
        args: ['--rate', '20', '--history', '600'],
        prefix: ['ip', 'netns', 'exec', NS],
      })
      const client = spawn(
        'ip',
        ['netns', 'exec', NS, process.execPath, CLIENT, server.url, String(RUN_S)],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      )
      let output = ''
      client.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
      const exited = new Promise<number | null>((resolve) => client.once('exit', resolve))

      await new Promise((resolve) => setTimeout(resolve, 2500))
      nft('add', 'table', 'inet', 'rltest')
      nft(
        'add',
        'chain',
        'inet',
        'rltest',
        'input',
        '{ type filter hook input priority 0 ; policy accept ; }',
      )
      nft(
        'add',
        'rule',
        'inet',
        'rltest',
        'input',
        'iifname',
        'lo',
        'tcp',
        'dport',
        String(PORT),
        'drop',
      )
      nft(
        'add',
        'rule',
        'inet',
        'rltest',
        'input',
        'iifname',
        'lo',
        'tcp',
        'sport',
        String(PORT),
        'drop',
      )
      await new Promise((resolve) => setTimeout(resolve, DROP_S * 1000))
      nft('delete', 'table', 'inet', 'rltest')

      expect(await exited).toBe(0)
      const results = JSON.parse(output) as Record<
        Protocol,
        { messages: ServerMessage[]; reconnects: number }
      >
      for (const [protocol, { messages, reconnects }] of Object.entries(results)) {
        const seqs = feedSeqs(messages)
        expect(
          messages.filter((m) => m.type === 'reset'),
          protocol,
        ).toEqual([])
        expect(
          messages.filter((m) => m.type === 'snapshot'),
          protocol,
        ).toHaveLength(1)
        expectContiguous(seqs, protocol)
        // The drop stopped delivery long enough to be noticed, and the client caught up:
        // it ends with frames from after the drop (20 Hz × the seconds that followed it).
        expect(reconnects, `${protocol} reconnects`).toBeGreaterThanOrEqual(1)
        expect(seqs.length, `${protocol} frames`).toBeGreaterThan(20 * (RUN_S - DROP_S - 3))
      }
    }, 40_000)
  },
)

/**
 * `npm start -- --network <profile>`: the server behind the link emulator. Clients of the
 * address the user gave cross the link (a ping takes the profile's round trip); the server's
 * own address, printed beside it, does not; a stop leaves no namespace behind.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnNode, stopChild, waitForBanner, type Child } from '../../load/kit/child-process.ts'
import { lossUnavailable } from '../../load/network/loss-namespace.ts'
import { serverArgsOf } from '../../load/network/serve.ts'
import { openClient, type FeedClient } from '../conformance/feed-clients.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const children: Child[] = []
const clients: FeedClient[] = []
afterAll(async () => {
  for (const client of clients) client.kill()
  for (const child of children) await stopChild(child)
})

const namespaces = (): string => {
  try {
    return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
  } catch {
    return ''
  }
}

async function pingMs(url: string): Promise<number> {
  const client = await openClient('websocket', url)
  clients.push(client)
  await client.ping('warm')
  const sent = performance.now()
  await client.ping('measured')
  return performance.now() - sent
}

describe('serverArgsOf', () => {
  it('keeps every server flag and drops the ones the link handles, in both spellings', () => {
    expect(
      serverArgsOf([
        '--rate',
        '20',
        '--network',
        '4g',
        '--port=8080',
        '--host',
        '::1',
        '--deflate',
      ]),
    ).toEqual(['--rate', '20', '--deflate'])
  })
})

describe('serve --network', () => {
  const profile = lossUnavailable() === null ? '4g-lossy' : '4g'
  it(`puts the ${profile} link between the clients and the server, and cleans up on SIGTERM`, async () => {
    const child = spawnNode(
      ['servers/main.ts', 'serve', '--network', profile, '--port', '0', '--rate', '20'],
      ROOT,
    )
    children.push(child)
    const { seen } = await waitForBanner(
      child,
      /the server without the link: (\S+)/,
      'serve',
      20_000,
    )
    const front = /listening on (http:\/\/\S+)/.exec(seen)?.[1] ?? ''
    const direct = /the server without the link: (\S+)/.exec(seen)?.[1] ?? ''
    expect(seen).toContain(`websocket ${front.replace('http', 'ws')}/ws`)
    // 4g: 150 ms round trip; a ping crosses the link once each way.
    expect(await pingMs(front)).toBeGreaterThanOrEqual(148)
    expect(await pingMs(direct)).toBeLessThan(50)
    for (const client of clients.splice(0)) client.kill()
    await stopChild(child)
    expect(await child.exited).toBe(0)
    expect(namespaces()).not.toMatch(new RegExp(`rl-${String(child.pid)}\\b`))
  }, 40_000)

  it('tells a newcomer where the study site and the live demo are, or how to build them', async () => {
    const child = spawnNode(['servers/main.ts', 'serve', '--port', '0'], ROOT)
    children.push(child)
    const { seen } = await waitForBanner(child, /study site.*/, 'serve', 20_000)
    const url = /listening on (http:\/\/\S+)/.exec(seen)?.[1] ?? 'missing'
    expect(seen).toMatch(
      new RegExp(
        `study site ${url}/ · all questions ${url}/questions/ · live demo ${url}/live/|study site not built: run npm run site:build`,
      ),
    )
    await stopChild(child)
  })

  it('names the known profiles when given an unknown one', async () => {
    const child = spawnNode(['servers/main.ts', 'serve', '--network', '5g', '--port', '0'], ROOT)
    children.push(child)
    expect(await child.exited).not.toBe(0)
    expect(child.output()).toMatch(/unknown network profile "5g": use one of loopback, lan/)
  })
})

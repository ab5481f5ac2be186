/**
 * The hardened example of servers/README.md ("Protections": TLS, Origin allowlist, JWT and
 * the per-address limits), run as written by bash — only `npm start` is pointed at a free
 * port and `openssl rand` answers a secret the test knows — and then used by one compliant
 * client of each transport at the default 10 Hz feed: none of them is refused or closed by
 * the example's limits. (Its first version, `--max-polls-per-s 5`, rate-limited a long-poll
 * client that polls once per frame.)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { PollReply, ServerMessage } from '../../servers/feed/messages.ts'
import { freePort } from '../../load/kit/child-process.ts'
import { expectContiguous, feedSeqs, until } from '../faults/stream-checks.ts'
import { httpsGet } from './security-clients.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SECRET = 'hardened-example-secret-0123456789abcdef0123456789'
const CLIENT_MS = 3000

/** The README's code block that starts the hardened server. */
function exampleBlock(): string {
  const readme = readFileSync(join(ROOT, 'servers/README.md'), 'utf8')
  const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? '')
    .find((text) => text.includes('--max-polls-per-s') && text.includes('npm start'))
  if (block === undefined) throw new Error('servers/README.md: no hardened `npm start` example')
  return block
}

const block = exampleBlock()
const flag = (name: string): string => {
  const value = new RegExp(`--${name} (\\S+)`).exec(block)?.[1]
  if (value === undefined) throw new Error(`the example has no --${name}`)
  return value
}

let dir: string
let port: number
let ca: string
let token: string
let server: ChildProcess
let output = ''

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hardened-example-'))
  port = await freePort()
  const prelude = [
    `openssl() { if [ "$1" = rand ]; then printf '%s\\n' "$TEST_SECRET"; else command openssl "$@"; fi; }`,
    `npm() { shift 2; exec "$TEST_NODE" "$TEST_ROOT/servers/main.ts" serve --port "$TEST_PORT" "$@"; }`,
  ].join('\n')
  server = spawn('bash', ['-c', `set -e\n${prelude}\n${block}`], {
    cwd: dir,
    env: {
      ...process.env,
      TEST_SECRET: SECRET,
      TEST_PORT: String(port),
      TEST_ROOT: ROOT,
      TEST_NODE: process.execPath,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  await until(() => output.includes('epoch '), 20_000, `the example's banner: ${output}`)
  ca = readFileSync(join(dir, 'cert.pem'), 'utf8')
  token = await new SignJWT({ sub: 'example' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(flag('jwt-issuer'))
    .setAudience(flag('jwt-audience'))
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET))
}, 30_000)

afterAll(() => {
  server.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

/** The headers of a browser page on the allowed origin with its token. */
const headers = (): Record<string, string> => ({
  Origin: flag('allow-origin'),
  Authorization: `Bearer ${token}`,
})

/** GET over https trusting the example's certificate, from the allowed origin with the token. */
function get(path: string): Promise<{ status: number; body: string }> {
  return httpsGet(`https://127.0.0.1:${String(port)}${path}`, { ca, headers: headers() })
}

/** Polls `path` for CLIENT_MS as a compliant client: each poll from the last reply's cursor. */
async function pollFor(path: '/poll/long' | '/poll/short', pauseMs: number): Promise<void> {
  const statuses: number[] = []
  const messages: ServerMessage[] = []
  let cursor = ''
  const end = Date.now() + CLIENT_MS
  while (Date.now() < end) {
    const { status, body } = await get(`${path}?${cursor}`)
    statuses.push(status)
    if (status !== 200) break
    const reply = JSON.parse(body) as PollReply
    messages.push(...reply.messages)
    cursor = `epoch=${reply.epoch}&since=${String(reply.next)}`
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs))
  }
  expect(statuses.filter((status) => status !== 200)).toEqual([])
  // About 10 polls a second for 3 s.
  expect(statuses.length).toBeGreaterThan(15)
  expectContiguous(feedSeqs(messages), path)
}

describe('the hardened example of servers/README.md, run as written', () => {
  it('keeps a long-poll client polling once per frame', async () => {
    await pollFor('/poll/long', 0)
  })

  it('keeps a short-poll client polling at the feed rate (every 100 ms)', async () => {
    await pollFor('/poll/short', 100)
  })

  it('keeps a WebSocket client that pings at the feed rate open', async () => {
    const ws = new WebSocket(
      `wss://127.0.0.1:${String(port)}/ws`,
      ['realtime-lab.v1', `bearer.${token}`],
      { ca, headers: { Origin: flag('allow-origin') } },
    )
    const messages: ServerMessage[] = []
    let closedWith: number | null = null
    ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as ServerMessage))
    ws.on('close', (code) => (closedWith = code))
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const pings = setInterval(() => {
      ws.send(JSON.stringify({ type: 'ping', id: Date.now() }))
    }, 100)
    await new Promise((resolve) => setTimeout(resolve, CLIENT_MS))
    clearInterval(pings)
    expect(closedWith).toBeNull()
    expect(messages.filter((m) => m.type === 'pong').length).toBeGreaterThan(20)
    expectContiguous(feedSeqs(messages), 'websocket')
    ws.close()
  })

  it('streams SSE to a client with the token', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(
        `https://127.0.0.1:${String(port)}/sse`,
        { ca, headers: headers() },
        (res) => {
          let body = ''
          res.on('data', (chunk: Buffer) => (body += chunk.toString()))
          setTimeout(() => {
            req.destroy()
            resolve(`${String(res.statusCode)}\n${body}`)
          }, 1500)
        },
      )
      req.on('error', reject)
      req.end()
    })
    expect(text.startsWith('200\n')).toBe(true)
    expect(text.match(/"type":"frame"/g)?.length ?? 0).toBeGreaterThan(5)
  })
})

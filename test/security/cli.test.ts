/**
 * The `serve` CLI refuses bad protection flags with one line naming the problem and exit
 * code 1, before it listens.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const MAIN = fileURLToPath(new URL('../../servers/main.ts', import.meta.url))
const SECRET = '0123456789abcdef0123456789abcdef'

describe('serve flags', () => {
  it.each([
    [['--jwt-secret', 'short', '--jwt-issuer', 'i', '--jwt-audience', 'a'], /at least 32 bytes/],
    [['--jwt-secret', SECRET], /needs --jwt-issuer and --jwt-audience/],
    [
      ['--jwt-public-key', '/nonexistent.pem', '--jwt-issuer', 'i', '--jwt-audience', 'a'],
      /needs --jwt-alg/,
    ],
    [['--jwt-issuer', 'i'], /need --jwt-secret or --jwt-public-key/],
    [['--tls-cert', '/nonexistent.pem'], /--tls-cert and --tls-key go together/],
    [
      ['--tls-cert', '/nonexistent.pem', '--tls-key', '/nonexistent.pem'],
      /--tls-cert \/nonexistent.pem/,
    ],
    [['--allow-origin', 'lab.example'], /--allow-origin lab.example: not a URL/],
    [['--max-connections-per-ip', '-1'], /max-connections-per-ip must be an integer/],
  ])('refuses %j', (flags, message) => {
    const run = spawnSync(process.execPath, [MAIN, 'serve', '--port', '0', ...flags], {
      encoding: 'utf8',
      timeout: 20_000,
    })
    expect(run.status).toBe(1)
    expect(run.stderr).toMatch(message)
    expect(run.stdout).not.toMatch(/listening/)
  })
})

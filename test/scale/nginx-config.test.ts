/** The generated nginx.conf: what a real-time proxy needs, and nginx itself accepts it. */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NGINX } from '../../servers/cluster/cluster.ts'
import { PROXY_READ_TIMEOUT_S, renderNginxConfig } from '../../servers/cluster/nginx-config.ts'

const base = {
  listenPort: 8080,
  upstreams: ['127.0.0.1:9001', '127.0.0.1:9002'],
  tempDir: '/tmp/x',
}

describe('renderNginxConfig', () => {
  it('proxies WebSocket upgrades, unbuffered SSE and long polls past their 25 s wait', () => {
    const config = renderNginxConfig(base)
    expect(config).toContain('daemon off;')
    expect(config).toContain('server 127.0.0.1:9001;')
    expect(config).toContain('server 127.0.0.1:9002;')
    expect(config).toContain('proxy_set_header Upgrade $http_upgrade;')
    expect(config).toContain('proxy_set_header Connection $connection_upgrade;')
    expect(config).toContain('proxy_buffering off;')
    expect(config).toContain('X-Accel-Buffering no')
    expect(PROXY_READ_TIMEOUT_S).toBeGreaterThan(25)
    expect(config).toContain(`proxy_read_timeout ${PROXY_READ_TIMEOUT_S}s;`)
    expect(config).not.toContain('ssl')
    // WebSocket (control in-band) round robin; session-bound paths by client address.
    expect(config).toMatch(/upstream realtime_any \{\n {4}server/)
    expect(config).toMatch(/upstream realtime_by_client \{\n {4}hash \$remote_addr consistent;/)
    expect(config).toMatch(/location \/ws \{\n {6}proxy_pass http:\/\/realtime_any;/)
    expect(config).toMatch(/location \/ \{\n {6}proxy_pass http:\/\/realtime_by_client;/)
  })

  it('terminates TLS and routes by client address when asked', () => {
    const config = renderNginxConfig({
      ...base,
      tls: { cert: '/c.pem', key: '/k.pem' },
      sticky: true,
    })
    expect(config).toContain('listen 127.0.0.1:8080 ssl;')
    expect(config).toContain('ssl_certificate /c.pem;')
    expect(config).toContain('ssl_certificate_key /k.pem;')
    expect(config).toMatch(/upstream realtime_any \{\n {4}hash \$remote_addr consistent;/)
  })

  it('refuses a cluster without instances', () => {
    expect(() => renderNginxConfig({ ...base, upstreams: [] })).toThrow(/at least one upstream/)
  })

  it.skipIf(!existsSync(NGINX))('is accepted by nginx -t (needs /usr/sbin/nginx)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'realtime-nginx-'))
    try {
      const file = join(dir, 'nginx.conf')
      await writeFile(
        file,
        renderNginxConfig({ ...base, tempDir: dir, runAsRoot: process.getuid?.() === 0 }),
      )
      const output = execFileSync(
        NGINX,
        ['-t', '-p', dir, '-c', file, '-e', join(dir, 'error.log')],
        {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
      expect(output).toBe('')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

import { describe, expect, it } from 'vitest'
import { OriginPolicy } from './origin-policy.ts'

describe('OriginPolicy', () => {
  const policy = new OriginPolicy(['https://lab.example', 'http://127.0.0.1:8080'])

  it.each(['https://lab.example', 'http://127.0.0.1:8080'])(
    'allows the listed origin %s',
    (origin) => {
      expect(policy.check(origin).ok).toBe(true)
    },
  )

  it.each([
    ['a suffix trick', 'https://lab.example.evil.test'],
    ['a prefix trick', 'https://evil-lab.example'],
    ['a subdomain', 'https://sub.lab.example'],
    ['another scheme', 'http://lab.example'],
    ['another port', 'https://lab.example:8443'],
    ['another loopback port', 'http://127.0.0.1:8081'],
    ['another loopback address', 'http://127.0.0.2:8080'],
    ['the opaque origin null', 'null'],
    ['a trailing slash', 'https://lab.example/'],
    ['different case', 'HTTPS://LAB.EXAMPLE'],
  ])('refuses %s (%s)', (_name, origin) => {
    const verdict = policy.check(origin)
    expect(verdict.ok).toBe(false)
    if (!verdict.ok) expect(verdict.detail).toMatch(/origin|null/)
  })

  it('lets requests without Origin pass unless requireOrigin', () => {
    expect(policy.check(undefined).ok).toBe(true)
    expect(new OriginPolicy(['https://lab.example'], true).check(undefined).ok).toBe(false)
  })

  it('allows every origin when no allowlist is configured', () => {
    const open = new OriginPolicy([])
    expect(open.open).toBe(true)
    expect(open.check('https://anything.test').ok).toBe(true)
  })

  it('normalizes allowlist entries and rejects ones that are not origins', () => {
    expect(new OriginPolicy(['https://lab.example:443']).check('https://lab.example').ok).toBe(true)
    expect(() => new OriginPolicy(['lab.example'])).toThrow(/not a URL/)
    expect(() => new OriginPolicy(['https://lab.example/path'])).toThrow(/no path/)
    expect(() => new OriginPolicy(['ftp://lab.example'])).toThrow(/http and https/)
  })
})

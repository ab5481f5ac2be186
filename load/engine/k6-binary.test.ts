import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  chooseEngine,
  compareVersions,
  K6_MIN_VERSION,
  k6Shortfall,
  K6Unusable,
  parseK6Version,
  scenarioNeeds,
  type K6Binary,
} from './k6-binary.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const scenario = (name: string): string => resolve(ROOT, 'load', 'scenarios', `${name}.ts`)

// `k6 version` as the releases print it: a stock binary, and an xk6 build with extensions.
const OLD = 'k6 v0.48.0 (go1.21.5, linux/amd64)\n'
const STOCK = 'k6 v1.6.0 (commit/4e1f0a1c2b, go1.25.5, linux/amd64)\n'
const WITH_SSE =
  'k6 v1.6.0 (commit/devel, go1.25.5, linux/amd64)\nExtensions:\n  github.com/phymbert/xk6-sse v0.1.12, k6/x/sse [js]\n'

function binary(output: string): K6Binary {
  return { path: '/usr/local/bin/k6', ...parseK6Version(output) }
}

describe('parseK6Version', () => {
  it('reads the version and the JS extensions of an xk6 build', () => {
    expect(parseK6Version(WITH_SSE)).toEqual({
      version: '1.6.0',
      versionLine: 'k6 v1.6.0 (commit/devel, go1.25.5, linux/amd64)',
      extensions: ['k6/x/sse'],
    })
    expect(parseK6Version(OLD).extensions).toEqual([])
  })

  it('gives no version for output that names none', () => {
    expect(parseK6Version('something else\n').version).toBeNull()
  })
})

describe('compareVersions', () => {
  it('compares numerically, part by part', () => {
    expect(compareVersions('0.57.0', '0.9.9')).toBe(1)
    expect(compareVersions('1.6.0', '1.10.0')).toBe(-1)
    expect(compareVersions('1.6.0', '1.6.0')).toBe(0)
  })
})

describe('scenarioNeeds', () => {
  it('finds the k6 modules a scenario imports through its relative imports', () => {
    const sse = scenarioNeeds(scenario('sse'))
    expect(sse.typescript).toBe(true)
    expect(sse.modules).toContain('k6/x/sse')
    // k6/metrics comes from load/lib/feed-metrics.ts, not from sse.ts itself.
    expect(sse.modules).toContain('k6/metrics')
    expect(scenarioNeeds(scenario('websocket')).modules).toContain('k6/websockets')
    expect(scenarioNeeds(scenario('long-poll')).modules).not.toContain('k6/websockets')
  })
})

describe('k6Shortfall', () => {
  it('names TypeScript and the minimum for a k6 older than 0.57', () => {
    expect(k6Shortfall(binary(OLD), scenarioNeeds(scenario('long-poll')))?.reason).toBe(
      `k6 v0.48.0 on PATH cannot run TypeScript (needs ≥ 0.57.0)`,
    )
    expect(k6Shortfall(binary(OLD), scenarioNeeds(scenario('websocket')))?.reason).toBe(
      `k6 v0.48.0 on PATH cannot run TypeScript (needs ≥ ${K6_MIN_VERSION})`,
    )
  })

  it('names k6/websockets for a k6 that runs TypeScript but predates the stable module', () => {
    const k6 = binary('k6 v1.3.0 (commit/5870e99ae8, go1.25.1, linux/amd64)\n')
    expect(k6Shortfall(k6, scenarioNeeds(scenario('short-poll')))).toBeNull()
    expect(k6Shortfall(k6, scenarioNeeds(scenario('websocket')))?.reason).toBe(
      'k6 v1.3.0 on PATH cannot import k6/websockets (needs ≥ 1.6.0)',
    )
  })

  it('names a missing extension and the xk6 line that builds it', () => {
    const shortfall = k6Shortfall(binary(STOCK), scenarioNeeds(scenario('sse')))
    expect(shortfall).toEqual({
      reason: 'k6 v1.6.0 on PATH lacks the k6/x/sse extension',
      fix: 'build a k6 that has it: xk6 build v1.6.0 --with github.com/phymbert/xk6-sse',
    })
    expect(k6Shortfall(binary(WITH_SSE), scenarioNeeds(scenario('sse')))).toBeNull()
    expect(k6Shortfall(binary(STOCK), scenarioNeeds(scenario('websocket')))).toBeNull()
  })

  it('refuses a k6 whose version cannot be read', () => {
    expect(k6Shortfall(binary('garbage'), scenarioNeeds(scenario('sse')))?.reason).toMatch(
      /printed no version/,
    )
  })
})

describe('chooseEngine', () => {
  it('auto: k6 where it can run the scenario, the built-in engine with a reason elsewhere', () => {
    expect(chooseEngine('auto', scenario('websocket'), binary(STOCK)).engine).toBe('k6')
    expect(chooseEngine('auto', scenario('sse'), binary(STOCK))).toEqual({
      engine: 'builtin',
      reason:
        'k6 v1.6.0 on PATH lacks the k6/x/sse extension: using the built-in engine; --engine k6 to insist',
    })
    expect(chooseEngine('auto', scenario('sse'), undefined)).toEqual({
      engine: 'builtin',
      reason: null,
    })
  })

  it('k6: throws a usage error naming the version or extension and the fix', () => {
    expect(() => chooseEngine('k6', scenario('sse'), binary(STOCK))).toThrow(
      /--engine k6: k6 v1\.6\.0 on PATH lacks the k6\/x\/sse extension, which load\/scenarios\/sse\.ts needs; build a k6 that has it: xk6 build v1\.6\.0 --with github\.com\/phymbert\/xk6-sse/,
    )
    expect(() => chooseEngine('k6', scenario('websocket'), binary(OLD))).toThrow(K6Unusable)
    expect(() => chooseEngine('k6', scenario('websocket'), undefined)).toThrow(/no `k6` on PATH/)
  })

  it('builtin: never k6', () => {
    expect(chooseEngine('builtin', scenario('websocket'), binary(WITH_SSE)).engine).toBe('builtin')
  })
})

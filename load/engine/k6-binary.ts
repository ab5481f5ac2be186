/**
 * `--engine k6|auto`: finds a real `k6` on PATH, reads what it can run (`k6 version`: its
 * version and the extensions built in), and runs the same command line with it when it can
 * run the scenario as it is.
 */
import { execFileSync, spawn } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { delimiter, dirname, join, relative, resolve } from 'node:path'

/**
 * What a k6 must have to run the scenarios, oldest first: `since` is the first k6 release
 * that has it (from k6's release notes). A scenario needs a row when it is TypeScript or
 * imports the row's module, directly or through its relative imports.
 */
export const K6_REQUIREMENTS = Object.freeze([
  // v0.57.0: TypeScript on by default (before it, .ts needed --compatibility-mode).
  { since: '0.57.0', what: 'run TypeScript', applies: (s: ScenarioNeeds) => s.typescript },
  // v1.6.0: `k6/websockets`, the stable module (grafana/k6#5579); before it only experimental.
  {
    since: '1.6.0',
    what: 'import k6/websockets',
    applies: (s: ScenarioNeeds) => s.modules.includes('k6/websockets'),
  },
])

/** The oldest k6 that runs every scenario of `load/scenarios` (the READMEs say "k6 ≥ 1.6"). */
export const K6_MIN_VERSION: string = newest(K6_REQUIREMENTS.map((r) => r.since))

/**
 * The k6 extensions the scenarios import, each with the Go module `xk6 build --with` takes.
 * Stock k6 has none of them.
 */
export const K6_EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({
  'k6/x/sse': 'github.com/phymbert/xk6-sse',
})

/** A k6 binary and what `k6 version` says of it. */
export interface K6Binary {
  path: string
  /** `1.6.0`; null when `k6 version` printed no version. */
  version: string | null
  /** The first line of `k6 version`, as the report records it. */
  versionLine: string
  /** Import paths of the JS extensions built in, e.g. `k6/x/sse`. */
  extensions: string[]
}

/** What a scenario asks of the load tool. */
export interface ScenarioNeeds {
  typescript: boolean
  /** Every `k6/…` module the scenario and its relative imports import. */
  modules: string[]
}

/** The path of `k6` on PATH, or undefined. */
export function findK6(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, process.platform === 'win32' ? 'k6.exe' : 'k6')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this directory
    }
  }
  return undefined
}

/**
 * Reads `k6 version`: `k6 v1.6.0 (commit/…, go1.25.1, linux/amd64)`, then, for a custom
 * build, an `Extensions:` list whose lines end `…, k6/x/sse [js]`.
 */
export function parseK6Version(
  output: string,
): Pick<K6Binary, 'version' | 'versionLine' | 'extensions'> {
  const versionLine = output.trim().split('\n')[0]?.trim() ?? ''
  const version = /\bv?(\d+\.\d+\.\d+)/.exec(versionLine)?.[1] ?? null
  const extensions = [...output.matchAll(/,\s*(k6\/x\/[\w./-]+)\s+\[js\]/g)].map((m) => m[1] ?? '')
  return { version, versionLine, extensions }
}

/** Runs `k6 version` on the k6 at `path` (default: the one on PATH); undefined when none runs. */
export function probeK6(path = findK6()): K6Binary | undefined {
  if (path === undefined) return undefined
  let output: string
  try {
    output = execFileSync(path, ['version'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return {
      path,
      version: null,
      versionLine: `k6 version failed: ${reason ?? ''}`,
      extensions: [],
    }
  }
  return { path, ...parseK6Version(output) }
}

/** -1, 0 or 1 as `a` is older than, the same as, or newer than `b` (`x.y.z`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

function newest(versions: readonly string[]): string {
  return versions.reduce((max, v) => (compareVersions(v, max) > 0 ? v : max), '0.0.0')
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(?\s*['"]([^'"]+)['"]/g

/** The scenario's needs: its type, and every `k6/…` module it or its relative imports load. */
export function scenarioNeeds(scriptPath: string): ScenarioNeeds {
  const modules = new Set<string>()
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return // k6 reports a missing file itself
    }
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? ''
      if (specifier.startsWith('k6')) modules.add(specifier)
      else if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier))
    }
  }
  visit(resolve(scriptPath))
  return { typescript: /\.[cm]?ts$/.test(scriptPath), modules: [...modules].sort() }
}

/** Why this k6 cannot run a scenario with these needs, and how to fix it. */
export interface K6Shortfall {
  /** `k6 v0.48.0 on PATH cannot run TypeScript (needs ≥ 1.6.0)`. */
  reason: string
  /** What to do: the version to install or the `xk6 build` line. */
  fix: string
}

/** Null when the k6 can run the scenario as it is, else why not. */
export function k6Shortfall(k6: K6Binary, needs: ScenarioNeeds): K6Shortfall | null {
  const name = k6.version === null ? `k6 at ${k6.path}` : `k6 v${k6.version} on PATH`
  const required = K6_REQUIREMENTS.filter((r) => r.applies(needs))
  const minimum = newest(required.map((r) => r.since))
  if (k6.version === null && required.length > 0) {
    return {
      reason: `${name} printed no version (${k6.versionLine || 'empty output'}): cannot tell whether it can ${required[0]?.what ?? ''}`,
      fix: `install k6 ≥ ${minimum}`,
    }
  }
  const missing = required.find((r) => compareVersions(k6.version ?? '0.0.0', r.since) < 0)
  if (missing !== undefined) {
    return {
      reason: `${name} cannot ${missing.what} (needs ≥ ${minimum})`,
      fix: `install k6 ≥ ${minimum}`,
    }
  }
  const extension = needs.modules.find((m) => m.startsWith('k6/x/') && !k6.extensions.includes(m))
  if (extension !== undefined) {
    const goModule = K6_EXTENSIONS[extension] ?? `the Go module that provides ${extension}`
    return {
      reason: `${name} lacks the ${extension} extension`,
      fix: `build a k6 that has it: xk6 build v${k6.version ?? K6_MIN_VERSION} --with ${goModule}`,
    }
  }
  return null
}

/** The load tool chosen for one scenario. */
export type EngineChoice =
  | { engine: 'k6'; k6: K6Binary }
  | {
      engine: 'builtin'
      /** Why not k6, when one is on PATH; null when none is. */ reason: string | null
    }

/** `--engine k6` with a k6 that cannot run the scenario: a usage error, before any work. */
export class K6Unusable extends Error {
  override readonly name = 'K6Unusable'
}

/**
 * Picks the load tool for one scenario. `auto` takes k6 only when it can run the scenario as
 * it is; `k6` throws {@link K6Unusable} when it cannot; `builtin` never looks for k6.
 */
export function chooseEngine(
  mode: 'auto' | 'k6' | 'builtin',
  scriptPath: string,
  k6: K6Binary | undefined = mode === 'builtin' ? undefined : probeK6(),
): EngineChoice {
  if (mode === 'builtin') return { engine: 'builtin', reason: null }
  if (k6 === undefined) {
    if (mode === 'k6')
      throw new K6Unusable('--engine k6: no `k6` on PATH; install k6 or use --engine builtin')
    return { engine: 'builtin', reason: null }
  }
  const shortfall = k6Shortfall(k6, scenarioNeeds(scriptPath))
  if (shortfall === null) return { engine: 'k6', k6 }
  if (mode === 'k6') {
    const script = relative(process.cwd(), resolve(scriptPath))
    throw new K6Unusable(
      `--engine k6: ${shortfall.reason}, which ${script} needs; ${shortfall.fix}, or use --engine builtin`,
    )
  }
  return {
    engine: 'builtin',
    reason: `${shortfall.reason}: using the built-in engine; --engine k6 to insist`,
  }
}

/** Runs `k6 run <args>` with inherited stdio and resolves with its exit code. */
export function runK6(binary: string, args: readonly string[]): Promise<number> {
  return new Promise((done, reject) => {
    const child = spawn(binary, ['run', ...args], { stdio: 'inherit' })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      done(code ?? (signal === null ? 1 : 128))
    })
  })
}

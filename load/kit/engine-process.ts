/**
 * The built-in engine as a measured child process: `load/engine/cli.ts run` on one of the
 * scenarios of a checkout (this one or an older one's worktree), quiet, with its per-second
 * series written to `series`. The perf scripts measure the process from outside (/proc).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { spawnNode, type Child } from './child-process.ts'
import { usageError } from './tool-args.ts'

/** The engine's CLI, relative to a checkout's root. */
const ENGINE_CLI = 'load/engine/cli.ts'

/**
 * The checkout root a tool's `flag` (`--before`) names, when it has the engine; a usage error
 * naming the flag otherwise.
 */
export function engineCheckout(flag: string, root: string): string {
  if (!existsSync(join(root, ENGINE_CLI))) {
    usageError(`${flag} ${root}: no ${ENGINE_CLI} there (give a checkout's root)`)
  }
  return root
}

/** What to run. */
export interface EngineRunOptions {
  /** Root of the checkout whose engine and scenario run. */
  root: string
  /** A scenario of `load/scenarios/`, e.g. `websocket`. */
  scenario: string
  /** `-e KEY=VALUE` pairs (BASE_URL, VUS, RAMP, HOLD…). */
  env: Readonly<Record<string, string>>
  /** The `--out series=FILE` file. */
  series: string
  /** More engine flags, e.g. `['--workers', '1']` or a summary export. */
  flags?: readonly string[]
}

/** Spawns the engine with stdout and stderr inherited. */
export function spawnEngineRun(options: EngineRunOptions): Child {
  return spawnNode(
    [
      join(options.root, ENGINE_CLI),
      'run',
      join(options.root, `load/scenarios/${options.scenario}.ts`),
      '--engine',
      'builtin',
      '--quiet',
      '--no-summary',
      ...(options.flags ?? []),
      ...Object.entries(options.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
      '--out',
      `series=${options.series}`,
    ],
    options.root,
    process.env,
    true,
  )
}

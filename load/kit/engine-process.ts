/**
 * The built-in engine as a measured child process: `load/engine/cli.ts run` on one of the
 * scenarios of a checkout (this one or an older one's worktree), quiet, with its per-second
 * series written to `series`. The perf scripts measure the process from outside (/proc).
 */
import { join } from 'node:path'
import { spawnNode, type Child } from './child-process.ts'

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
      join(options.root, 'load/engine/cli.ts'),
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

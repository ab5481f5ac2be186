/**
 * The built-in engine as a measured child process: `load/engine/cli.ts run` on one of the
 * scenarios of a checkout (this one or an older one's worktree), quiet, with its per-second
 * series written to `series`. The perf scripts measure the process from outside (/proc).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

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

/**
 * Spawns the engine with stdout and stderr inherited.
 *
 * @throws Error when the process could not start.
 */
export function spawnEngineRun(options: EngineRunOptions): ChildProcess & { pid: number } {
  const child = spawn(
    process.execPath,
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
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
  if (child.pid === undefined) throw new Error('engine did not start')
  return child as ChildProcess & { pid: number }
}

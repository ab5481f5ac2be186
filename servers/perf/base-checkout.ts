/**
 * The baseline of a benchmark: a detached `git worktree` of an older commit, sharing this
 * checkout's `node_modules`, so old and new servers run side by side in one run.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The root of this checkout (two folders above `servers/perf/`). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..')

/**
 * The commit before the hot-path work: what the benchmarks compare against by default.
 * A commit name, not a measurement.
 */
export const DEFAULT_BASE_REF = '2d19d9fc30d5854f095a419c6df61e1831c487d0'

/** The full sha of `ref` in this repository. */
export function resolveRef(ref: string): string {
  return execFileSync('git', ['rev-parse', '--verify', `${ref}^{commit}`], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  }).trim()
}

/** A worktree of `ref` (reused when it exists), with `node_modules` linked; returns its root. */
export function baseCheckout(ref: string): { root: string; sha: string } {
  const sha = resolveRef(ref)
  const root = join(tmpdir(), `realtime-lab-bench-${sha.slice(0, 12)}`)
  if (!existsSync(join(root, 'servers/main.ts'))) {
    execFileSync('git', ['worktree', 'add', '--detach', '--force', root, sha], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
    })
  }
  const modules = join(root, 'node_modules')
  if (!existsSync(modules)) symlinkSync(join(REPO_ROOT, 'node_modules'), modules, 'dir')
  return { root, sha }
}

/** The current commit of this checkout, with `+dirty` when files differ from it. */
export function currentRevision(): string {
  const sha = resolveRef('HEAD')
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'servers'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  }).trim()
  return dirty === '' ? sha : `${sha}+dirty`
}

/**
 * `--engine k6|auto`: finds a real `k6` on PATH and runs the same command line with it.
 */
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

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

/** Runs `k6 run <args>` with inherited stdio and resolves with its exit code. */
export function runK6(binary: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['run', ...args], { stdio: 'inherit' })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      resolve(code ?? (signal === null ? 1 : 128))
    })
  })
}

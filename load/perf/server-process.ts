/**
 * The reference server as a child process, for the benchmarks under load/perf: started on a
 * free port, its base URL read from its log line, and awaited when it exits.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '../..')

/** Starts `servers/main.ts serve --port 0 …extraArgs` and resolves with its base URL. */
export async function startServer(
  extraArgs: readonly string[] = [],
): Promise<{ baseUrl: string; server: ChildProcess }> {
  const server = spawn(
    process.execPath,
    [join(ROOT, 'servers/main.ts'), 'serve', '--port', '0', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => {
      reject(new Error('server did not start in 20 s'))
    }, 20_000)
    server.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const match = /listening on (http:\/\/[\d.:]+)/.exec(text)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
  })
  return { baseUrl, server }
}

/** Resolves with a child's exit code (-1 for a signal) once it has exited. */
export function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else
      child.once('exit', (code) => {
        resolve(code ?? -1)
      })
  })
}

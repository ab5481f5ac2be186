/**
 * Rewrites a generated block of a Markdown file: the text between `<!-- name:begin … -->`
 * (or `<!-- name:start … -->`) and `<!-- name:end -->`. The one writer of the perf scripts'
 * and micro-benchmarks' tables; everything outside the markers is left byte for byte.
 */
import { readFileSync, writeFileSync } from 'node:fs'

/**
 * `text` with the block named `name` replaced by `body` (a trailing newline is added).
 *
 * @throws Error naming the markers when the block is missing or its end comes first.
 */
export function replaceMarkedBlock(text: string, name: string, body: string): string {
  const begin = new RegExp(`<!-- ${name}:(?:begin|start)\\b[^>]*-->`).exec(text)
  const endMarker = `<!-- ${name}:end -->`
  const end = begin === null ? -1 : text.indexOf(endMarker, begin.index)
  if (begin === null || end === -1)
    throw new Error(`no <!-- ${name}:begin … --> … ${endMarker} block to fill`)
  const from = begin.index + begin[0].length
  return `${text.slice(0, from)}\n${body.endsWith('\n') ? body : `${body}\n`}${text.slice(end)}`
}

/** Rewrites the block named `name` of `file` with `body`. */
export function writeMarkedBlock(file: string, name: string, body: string): void {
  const text = readFileSync(file, 'utf8')
  try {
    writeFileSync(file, replaceMarkedBlock(text, name, body))
  } catch (error) {
    throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    })
  }
}

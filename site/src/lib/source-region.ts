/**
 * Reads project code for the `<Source>` component at build time: a whole file, or the lines
 * between `// #region <name>` and `// #endregion`.
 */
import { existsSync, readFileSync } from 'node:fs'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'

// Replaced by astro.config.mjs (Vite `define`): the bundle runs from site/dist, so its own URL says nothing.
declare const __REALTIME_LAB_REPO_ROOT__: string | undefined

/** Absolute path of the repository: set by the site build, derived from this file elsewhere (tests). */
export const REPO_ROOT: string =
  typeof __REALTIME_LAB_REPO_ROOT__ === 'string'
    ? __REALTIME_LAB_REPO_ROOT__
    : fileURLToPath(new URL('../../../', import.meta.url))

/** What `<Source>` shows. */
export interface SourceExcerpt {
  code: string
  /** Language for highlighting, from the file extension. */
  lang: string
}

const LANGS: Readonly<Record<string, string>> = {
  '.ts': 'ts',
  '.js': 'js',
  '.mjs': 'js',
  '.json': 'json',
  '.conf': 'nginx',
  '.yml': 'yaml',
  '.yaml': 'yaml',
  '.sh': 'sh',
}

/**
 * Reads `path` (relative to the repository root), optionally only one region.
 * @throws Error naming the path and region when the file or the region does not exist
 */
export function readSourceRegion(path: string, region?: string): SourceExcerpt {
  const relative = normalize(path)
  if (relative.startsWith('..'))
    throw new Error(`<Source path="${path}">: the path must stay inside the repository`)
  const absolute = join(REPO_ROOT, relative)
  if (!existsSync(absolute))
    throw new Error(`<Source path="${path}">: no such file in the repository`)
  const lines = readFileSync(absolute, 'utf8').split('\n')
  const lang = LANGS[extname(relative)] ?? 'txt'
  if (region === undefined) return { code: lines.join('\n').trimEnd(), lang }
  const start = lines.findIndex((line) =>
    new RegExp(`^\\s*//\\s*#region\\s+${escape(region)}\\s*$`).test(line),
  )
  if (start === -1)
    throw new Error(
      `<Source path="${path}" region="${region}">: no "// #region ${region}" in that file`,
    )
  const end = lines.findIndex(
    (line, index) => index > start && /^\s*\/\/\s*#endregion\b/.test(line),
  )
  if (end === -1)
    throw new Error(`<Source path="${path}" region="${region}">: the region has no "// #endregion"`)
  return { code: dedent(lines.slice(start + 1, end)).join('\n'), lang }
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Removes the indentation the region's lines share, so an excerpt from a method body reads flush. */
function dedent(lines: string[]): string[] {
  const indents = lines
    .filter((line) => line.trim() !== '')
    .map((line) => /^\s*/.exec(line)?.[0].length ?? 0)
  const common = indents.length === 0 ? 0 : Math.min(...indents)
  return lines.map((line) => line.slice(common))
}

/**
 * The hot-path table from the committed benchmark runs (`servers/perf/runs/*.json`): one row per
 * run, CPU per unit of work before and after and their ratio, printed as Markdown, or
 * written between the `hot-paths` markers of `servers/README.md` with `--write`.
 *
 *   npx node servers/perf/report.ts            # print
 *   npx node servers/perf/report.ts --write    # update servers/README.md
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './base-checkout.ts'
import { writeMarkedBlock } from '../../load/kit/readme-block.ts'
import { parseToolArgs } from '../../load/kit/tool-args.ts'

/** The part of a run file the table reads. */
interface RunFile {
  benchmark: string
  unit: string
  machine: { cpus: number; model: string; loadavgAtStart: number[] }
  params: { clients: number; intervalMs?: number; rounds: number; windowS: number }
  base: { sha: string }
  current: { revision: string }
  summary: {
    base: { medianCpuUsPerUnit: number; medianCpuPercent: number; medianCountPerS: number }
    current: { medianCpuUsPerUnit: number; medianCpuPercent: number; medianCountPerS: number }
    ratio: number
  }
}

const RUNS = join(REPO_ROOT, 'servers/perf/runs')

function row(file: string, run: RunFile): string {
  const { base, current, ratio } = run.summary
  const interval =
    run.params.intervalMs !== undefined && run.benchmark.startsWith('short')
      ? `, each every ${run.params.intervalMs} ms`
      : ''
  return [
    '',
    ` ${run.benchmark} `,
    ` ${run.params.clients} clients${interval} `,
    ` ${run.params.rounds} × ${run.params.windowS} s `,
    ` ${Math.round(current.medianCountPerS)} `,
    ` ${base.medianCpuUsPerUnit.toFixed(1)} µs `,
    ` ${current.medianCpuUsPerUnit.toFixed(1)} µs `,
    ` **${ratio.toFixed(2)}** `,
    ` ${base.medianCpuPercent.toFixed(0)} % → ${current.medianCpuPercent.toFixed(0)} % `,
    ` ${run.machine.loadavgAtStart[0]?.toFixed(1) ?? '?'} `,
    ` \`${file}\` `,
    '',
  ].join('|')
}

/** The Markdown table of every run in `servers/perf/runs/`. */
export function hotPathTable(): string {
  const files = readdirSync(RUNS)
    .filter((name) => name.endsWith('.json'))
    .sort()
  const runs = files.map((name) => ({
    name,
    run: JSON.parse(readFileSync(join(RUNS, name), 'utf8')) as RunFile,
  }))
  const first = runs[0]?.run
  if (first === undefined)
    throw new Error(`no runs in ${RUNS}: run servers/perf/stream-write.ts first`)
  const bases = [...new Set(runs.map(({ run }) => run.base.sha.slice(0, 10)))].join(', ')
  return [
    '| benchmark | load | rounds × window | frames or requests/s | CPU per unit, base | this checkout | ratio | server CPU (% of one core) | load avg at start | run file |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(({ name, run }) => row(`servers/perf/runs/${name}`, run)),
    '',
    `Medians over the rounds per side (rounds alternate which side runs first); base \`${bases}\`; machine: ${first.machine.cpus} × ${first.machine.model}, shared with other work while these ran (load average in the table), so read the ratios, not the absolute figures.`,
  ].join('\n')
}

const USAGE =
  'npx node servers/perf/report.ts [--write]: the hot-path table from servers/perf/runs/*.json, printed or written into servers/README.md'
const { values } = parseToolArgs(USAGE, { options: { write: { type: 'boolean', default: false } } })
const table = hotPathTable()
if (values.write) {
  writeMarkedBlock(join(REPO_ROOT, 'servers/README.md'), 'hot-paths', table)
} else {
  process.stdout.write(`${table}\n`)
}

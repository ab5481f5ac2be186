/**
 * `questions/SEEDS.md` maps every question and task of the five seed documents to the answer or
 * lab that covers it. The seeds themselves live outside the repository, so their numbering is
 * written down here once (`SEED_ITEMS`); the check fails when an item is missing from the map,
 * listed twice, unknown, or links to an answer or lab that does not exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LAB_SLUGS } from '../site/src/lib/labels.ts'

const REPO_ROOT = join(import.meta.dirname, '..')
const COVERAGE_FILE = join(REPO_ROOT, 'questions', 'SEEDS.md')

const range = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, index) => `${prefix}${String(index + 1)}`)

/** Every numbered item of each seed, by the seed's own numbering (seed 003 has sections instead). */
const SEED_ITEMS: Readonly<Record<string, readonly string[]>> = {
  '000': range('#', 6),
  '001': range('#', 38),
  '002': [...range('Q.', 50), ...range('Task ', 10)],
  '003': [
    'Protocol characteristics',
    'Handshake',
    'Frame format',
    'Server implementation',
    'Client implementation',
    'Message compression',
    'Connection pooling',
    'Origin validation',
    'Authentication',
    'Graceful degradation',
    'Reconnection strategy',
    'Tip: subprotocols',
    'Tip: extensions',
    'Tip: load balancing',
    'Tip: scaling strategies',
  ],
  '004': ['Comparison table', 'Not ideal for', ...range('Experiment ', 6), ...range('Quiz ', 5)],
}

/** A table row of the map: `| 002 Q.7 | what it asks | [answer](/questions/…/), … | note |`. */
const ROW = /^\|\s*(\d{3}) ([^|]+?)\s*\|[^|]*\|([^|]*)\|/
const LINK = /\]\((\/[^)\s]*)\)/g

/**
 * The problems of a seed-coverage map.
 * @param questionIds ids of existing answers, e.g. `sse/wire-format`
 * @param labSlugs slugs of existing lab pages
 */
function seedCoverageProblems(
  text: string,
  questionIds: ReadonlySet<string>,
  labSlugs: ReadonlySet<string>,
): string[] {
  const problems: string[] = []
  const seen = new Set<string>()
  for (const line of text.split('\n')) {
    const row = ROW.exec(line)
    if (row === null) continue
    const [, seed = '', item = '', cell = ''] = row
    const label = `${seed} ${item}`
    if (!(SEED_ITEMS[seed] ?? []).includes(item)) problems.push(`${label}: no such seed item`)
    if (seen.has(label)) problems.push(`${label}: listed twice`)
    seen.add(label)
    const targets = [...cell.matchAll(LINK)].map((match) => match[1] ?? '')
    if (targets.length === 0) problems.push(`${label}: links no answer or lab`)
    for (const target of targets) {
      const question = /^\/questions\/([a-z0-9-]+\/[a-z0-9-]+)\/$/.exec(target)?.[1]
      const lab = /^\/labs\/([a-z0-9-]+)\/$/.exec(target)?.[1]
      if (question !== undefined ? !questionIds.has(question) : lab === undefined)
        problems.push(`${label}: ${target} is not an answer or a lab`)
      else if (lab !== undefined && !labSlugs.has(lab)) problems.push(`${label}: no lab ${target}`)
    }
  }
  for (const [seed, items] of Object.entries(SEED_ITEMS))
    for (const item of items)
      if (!seen.has(`${seed} ${item}`)) problems.push(`${seed} ${item}: not mapped`)
  return problems
}

const questionIds = new Set(
  readdirSync(join(REPO_ROOT, 'questions'), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.mdx') && entry.name !== 'index.mdx')
    .map((entry) =>
      join(entry.parentPath, entry.name)
        .slice(join(REPO_ROOT, 'questions').length + 1)
        .replace(/\.mdx$/, ''),
    ),
)
const labSlugs: ReadonlySet<string> = new Set(LAB_SLUGS)

describe('seed coverage (questions/SEEDS.md)', () => {
  it('maps every question and task of seeds 000–004 to answers and labs that exist', () => {
    expect(existsSync(COVERAGE_FILE)).toBe(true)
    expect(
      seedCoverageProblems(readFileSync(COVERAGE_FILE, 'utf8'), questionIds, labSlugs),
    ).toEqual([])
  })

  it('rejects a missing item, an unknown or repeated one, and a link to nothing', () => {
    const ids = new Set(['sse/wire-format'])
    const labs = new Set(['heartbeat'])
    const full = Object.entries(SEED_ITEMS)
      .flatMap(([seed, items]) =>
        items.map((item) => `| ${seed} ${item} | asks | [a](/questions/sse/wire-format/) | |`),
      )
      .join('\n')
    expect(seedCoverageProblems(full, ids, labs)).toEqual([])
    const without = full.replace('| 001 #12 | asks | [a](/questions/sse/wire-format/) | |', '')
    expect(seedCoverageProblems(without, ids, labs)).toEqual(['001 #12: not mapped'])
    expect(
      seedCoverageProblems(
        `${full}\n| 001 #39 | asks | [a](/questions/sse/wire-format/) | |\n| 002 Q.1 | again | [h](/labs/heartbeat/) | |`,
        ids,
        labs,
      ),
    ).toEqual(['001 #39: no such seed item', '002 Q.1: listed twice'])
    const broken = full
      .replace('| 000 #1 | asks | [a](/questions/sse/wire-format/)', '| 000 #1 | asks | none')
      .replace(
        '| 000 #2 | asks | [a](/questions/sse/wire-format/)',
        '| 000 #2 | asks | [a](/questions/sse/gone/)',
      )
      .replace(
        '| 000 #3 | asks | [a](/questions/sse/wire-format/)',
        '| 000 #3 | asks | [l](/labs/gone/)',
      )
      .replace(
        '| 000 #4 | asks | [a](/questions/sse/wire-format/)',
        '| 000 #4 | asks | [r](/results/)',
      )
    expect(seedCoverageProblems(broken, ids, labs)).toEqual([
      '000 #1: links no answer or lab',
      '000 #2: /questions/sse/gone/ is not an answer or a lab',
      '000 #3: no lab /labs/gone/',
      '000 #4: /results/ is not an answer or a lab',
    ])
  })
})

/**
 * The interview question bank (`questions/<topic>/*.mdx`) is content the site builds from:
 * a malformed file breaks the site build, a wrong lab slug or metric id renders a dead link or
 * an empty figure. This test checks the whole bank against the rules of issue 7, and checks
 * that the checker itself rejects each kind of violation (on throwaway fixtures).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { reportSchema } from '../load/bench/report-schema.ts'
import { METRICS } from '../load/bench/metrics.ts'
import { PROTOCOLS } from '../servers/transports/protocols.ts'
import { TOPICS, questionSchema, type Question } from '../site/src/schemas/question.ts'
import { citationProblem } from '../site/src/lib/figures.ts'
import { measuredCitation, type CheckedRun } from '../site/src/lib/question-checks.ts'

const REPO_ROOT = join(import.meta.dirname, '..')
const LABS_DIR = join(REPO_ROOT, 'site', 'src', 'content', 'docs', 'labs')
/** Issues 7 and 39: the bank holds at least this many questions (index pages excluded). */
const MIN_QUESTIONS = 150

/** One parsed file of the bank. */
interface BankFile {
  /** Path relative to the bank root, e.g. `sse/wire-format.mdx`. */
  rel: string
  folder: string
  isIndex: boolean
  /** Frontmatter as validated by the schema; undefined when it did not parse or validate. */
  data: Question | undefined
  body: string
}

/** Splits an MDX file into its YAML frontmatter and body; throws naming the problem. */
function splitFrontmatter(text: string): { yaml: string; body: string } {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text)
  if (match === null) throw new Error('no frontmatter block (--- … ---) at the top of the file')
  return { yaml: match[1] ?? '', body: match[2] ?? '' }
}

/**
 * The run the site cites figures from, as `site/src/lib/figures.ts` picks it: `<dir>/published`,
 * else the newest run; undefined when there is none. Its `steps` hold every variant.
 */
function citedRun(dir: string): CheckedRun | undefined {
  if (!existsSync(dir)) return undefined
  const runs = readdirSync(dir)
    .filter((folder) => existsSync(join(dir, folder, 'report.json')))
    .map((folder) => ({
      folder,
      report: reportSchema.parse(
        JSON.parse(readFileSync(join(dir, folder, 'report.json'), 'utf8')),
      ),
    }))
  const chosen =
    runs.find((run) => run.folder === 'published') ??
    runs.sort((a, b) => b.report.createdAt.localeCompare(a.report.createdAt))[0]
  return chosen === undefined
    ? undefined
    : {
        steps: chosen.report.steps,
        parameters: chosen.report.parameters,
        reportFile: relative(REPO_ROOT, join(dir, chosen.folder, 'report.json')),
      }
}

/**
 * Reads every `.mdx` under `<root>/<folder>/` and returns the files plus every problem found.
 * A citation of a variant (`topology`, `encoding`) must name one `run` measured, as the site
 * build requires (`site/src/lib/question-checks.ts`).
 */
function checkBank(
  root: string,
  labSlugs: ReadonlySet<string> | undefined,
  minQuestions: number,
  repoRoot: string = REPO_ROOT,
  run?: CheckedRun,
): { files: BankFile[]; problems: string[] } {
  const problems: string[] = []
  const files: BankFile[] = []
  const folders = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
  const knownTopics: readonly string[] = TOPICS
  for (const folder of folders) {
    if (!knownTopics.includes(folder)) problems.push(`${folder}/: folder is not a topic in TOPICS`)
    for (const name of readdirSync(join(root, folder)).sort()) {
      if (!name.endsWith('.mdx')) continue
      const rel = `${folder}/${name}`
      const text = readFileSync(join(root, folder, name), 'utf8')
      const file: BankFile = {
        rel,
        folder,
        isIndex: name === 'index.mdx',
        data: undefined,
        body: '',
      }
      files.push(file)
      let raw: unknown
      try {
        const parts = splitFrontmatter(text)
        file.body = parts.body
        raw = parse(parts.yaml)
      } catch (error) {
        problems.push(`${rel}: frontmatter does not parse: ${(error as Error).message}`)
        continue
      }
      const result = questionSchema.safeParse(raw)
      if (!result.success) {
        const issues = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
        problems.push(`${rel}: frontmatter fails the schema: ${issues.join('; ')}`)
        continue
      }
      file.data = result.data
    }
  }

  const seenTitles = new Map<string, string>()
  for (const file of files) {
    const data = file.data
    if (data === undefined) continue
    if (data.topic !== file.folder) {
      problems.push(`${file.rel}: topic "${data.topic}" does not match folder "${file.folder}"`)
    }
    const titleKey = data.title.trim().toLowerCase()
    const first = seenTitles.get(titleKey)
    if (first !== undefined)
      problems.push(`${file.rel}: title "${data.title}" already used by ${first}`)
    else seenTitles.set(titleKey, file.rel)

    // Citations in the body must be valid and listed in the frontmatter, which the site indexes.
    const bodyLabs = [...file.body.matchAll(/<Lab\s+slug=["']([^"']+)["']/g)].map((m) => m[1] ?? '')
    const bodyMetrics = [...file.body.matchAll(/<Measured\s+id=["']([^"']+)["']/g)].map(
      (m) => m[1] ?? '',
    )
    for (const slug of [...data.labs, ...bodyLabs]) {
      if (labSlugs !== undefined && !labSlugs.has(slug)) {
        problems.push(`${file.rel}: lab "${slug}" has no page in site/src/content/docs/labs/`)
      }
    }
    for (const slug of bodyLabs) {
      if (!data.labs.includes(slug))
        problems.push(`${file.rel}: <Lab slug="${slug}"> is not listed in frontmatter labs`)
    }
    for (const id of [...data.metrics.map((m) => m.id), ...bodyMetrics]) {
      if (!Object.hasOwn(METRICS, id))
        problems.push(`${file.rel}: metric "${id}" is not a key of METRICS`)
    }
    for (const id of bodyMetrics) {
      if (!data.metrics.some((m) => m.id === id)) {
        problems.push(`${file.rel}: <Measured id="${id}"> is not listed in frontmatter metrics`)
      }
    }
    // The props of each citation (protocols, connections, design, topology, encoding) as the
    // site build reads them; unknown ids are reported above.
    const where = run?.reportFile ?? ''
    for (const match of file.body.matchAll(/<Measured\b[^>]*>/g)) {
      const citation = measuredCitation(match[0])
      if (typeof citation === 'string') {
        if (!citation.endsWith('unknown metric id')) problems.push(`${file.rel}: ${citation}`)
        continue
      }
      const problem = citationProblem(run, citation, where)
      if (problem !== undefined) problems.push(`${file.rel}: ${match[0]}: ${problem}`)
    }
    for (const metric of data.metrics) {
      if (!Object.hasOwn(METRICS, metric.id)) continue
      const problem = citationProblem(run, metric, where)
      if (problem !== undefined) problems.push(`${file.rel}: metrics "${metric.id}": ${problem}`)
    }
    // <Source> reads the file at build time: a missing path breaks the site build.
    for (const match of file.body.matchAll(/<Source\s+path=["']([^"']+)["']/g)) {
      const path = match[1] ?? ''
      if (!existsSync(join(repoRoot, path)))
        problems.push(`${file.rel}: <Source path="${path}"> does not exist`)
    }
    if (!file.isIndex && data.labs.length === 0 && data.metrics.length === 0) {
      problems.push(`${file.rel}: links no lab and cites no metric (issue 7 requires one)`)
    }
  }

  for (const topic of TOPICS) {
    if (!existsSync(join(root, topic, 'index.mdx'))) problems.push(`${topic}/index.mdx: missing`)
  }
  const questionCount = files.filter((f) => !f.isIndex).length
  if (questionCount < minQuestions) {
    problems.push(`bank holds ${questionCount} questions, fewer than ${minQuestions}`)
  }
  return { files, problems }
}

/** Lab slugs from the site's lab pages, or undefined while that folder does not exist or is empty. */
function readLabSlugs(): Set<string> | undefined {
  if (!existsSync(LABS_DIR)) return undefined
  const slugs = readdirSync(LABS_DIR)
    .filter((n) => n.endsWith('.mdx') || n.endsWith('.md'))
    .map((n) => basename(n).replace(/\.mdx?$/, ''))
  return slugs.length === 0 ? undefined : new Set(slugs)
}

describe('question bank (questions/)', () => {
  const labSlugs = readLabSlugs()
  const { files, problems } = checkBank(
    join(REPO_ROOT, 'questions'),
    labSlugs,
    MIN_QUESTIONS,
    REPO_ROOT,
    citedRun(join(REPO_ROOT, 'results')),
  )
  const about = (pattern: RegExp): string[] => problems.filter((p) => pattern.test(p))

  it('every file has frontmatter that parses and matches the question schema', () => {
    expect(files.length).toBeGreaterThan(0)
    expect(about(/frontmatter/)).toEqual([])
  })
  it('every topic equals its folder, and every folder is a topic', () => {
    expect(about(/does not match folder|not a topic in TOPICS/)).toEqual([])
  })
  it('no two questions share a title', () => {
    expect(about(/already used by/)).toEqual([])
  })
  it('every metric id cited is a key of METRICS and listed in the frontmatter', () => {
    expect(about(/metric "|<Measured/)).toEqual([])
  })
  it('every citation’s props are literal and valid, and a cited variant was measured in the cited run', () => {
    expect(about(/<Measured id="[^"]*" protocols|metrics "/)).toEqual([])
  })
  it('every <Lab> in a body is listed in the frontmatter', () => {
    expect(about(/<Lab slug=/)).toEqual([])
  })
  it.skipIf(labSlugs === undefined)(
    'every lab slug has a page in site/src/content/docs/labs/ (skipped while that folder has no lab pages yet)',
    () => {
      expect(about(/has no page in/)).toEqual([])
    },
  )
  it('every <Source path> names a file that exists', () => {
    expect(about(/<Source path=/)).toEqual([])
  })
  it('every question links a lab or cites a metric', () => {
    expect(about(/links no lab/)).toEqual([])
  })
  it('every topic folder in TOPICS has an index.mdx', () => {
    expect(about(/index\.mdx: missing/)).toEqual([])
  })
  it(`holds at least ${MIN_QUESTIONS} questions`, () => {
    expect(about(/fewer than/)).toEqual([])
  })
})

describe('the bank checker rejects each violation', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  const LABS = new Set(['first-stream', 'heartbeat'])

  /** Frontmatter of a valid question in `topic`, with overrides (YAML lines). */
  function frontmatter(
    topic: string,
    title: string,
    extra: Partial<Record<string, string>> = {},
  ): string {
    const fields: Record<string, string> = {
      title: JSON.stringify(title),
      topic,
      difficulty: 'junior',
      protocols: '[websocket]',
      tldr: '"A tldr long enough to pass the schema."',
      labs: '[first-stream]',
      metrics: '[]',
      order: '1',
      ...Object.fromEntries(
        Object.entries(extra).filter((e): e is [string, string] => e[1] !== undefined),
      ),
    }
    return `---\n${Object.entries(fields)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n')}\n---\n`
  }

  /** A bank holding every topic's index and one valid question in `sse`, plus `extra` files. */
  function bank(extra: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'question-bank-'))
    dirs.push(root)
    for (const topic of TOPICS) {
      mkdirSync(join(root, topic))
      writeFileSync(
        join(root, topic, 'index.mdx'),
        `${frontmatter(topic, `About ${topic}`, { order: '0' })}Intro.\n`,
      )
    }
    writeFileSync(
      join(root, 'sse', 'valid.mdx'),
      `${frontmatter('sse', 'A valid question?')}Answer.\n`,
    )
    for (const [rel, text] of Object.entries(extra)) writeFileSync(join(root, rel), text)
    return root
  }

  it('accepts a valid bank', () => {
    expect(checkBank(bank({}), LABS, 1).problems).toEqual([])
  })
  it('rejects malformed YAML and a missing frontmatter block', () => {
    const { problems } = checkBank(
      bank({
        'sse/bad.mdx': '---\ntitle: [unclosed\n---\nx\n',
        'sse/none.mdx': 'no frontmatter\n',
      }),
      LABS,
      1,
    )
    expect(problems).toEqual([
      expect.stringMatching(/^sse\/bad\.mdx: frontmatter does not parse/),
      expect.stringMatching(/^sse\/none\.mdx: frontmatter does not parse: no frontmatter block/),
    ])
  })
  it('rejects a schema violation (bad difficulty, short tldr)', () => {
    const text = frontmatter('sse', 'Bad fields?', { difficulty: 'expert', tldr: 'short' })
    const { problems } = checkBank(bank({ 'sse/x.mdx': text }), LABS, 1)
    expect(problems).toEqual([
      expect.stringMatching(/^sse\/x\.mdx: frontmatter fails the schema: difficulty.*tldr/),
    ])
  })
  it('rejects a topic that differs from its folder', () => {
    const { problems } = checkBank(
      bank({ 'sse/x.mdx': frontmatter('polling', 'Wrong folder?') }),
      LABS,
      1,
    )
    expect(problems).toEqual(['sse/x.mdx: topic "polling" does not match folder "sse"'])
  })
  it('rejects a duplicate title, whatever its case', () => {
    const { problems } = checkBank(
      bank({ 'sse/x.mdx': frontmatter('sse', 'a VALID question?') }),
      LABS,
      1,
    )
    expect(problems).toEqual(['sse/x.mdx: title "a VALID question?" already used by sse/valid.mdx'])
  })
  it('rejects an unknown lab slug, in frontmatter or body', () => {
    const text = `${frontmatter('sse', 'Unknown lab?', { labs: '[no-such-lab]' })}See <Lab slug="no-such-lab" />.\n`
    const { problems } = checkBank(bank({ 'sse/x.mdx': text }), LABS, 1)
    expect(problems).toEqual([
      'sse/x.mdx: lab "no-such-lab" has no page in site/src/content/docs/labs/',
      'sse/x.mdx: lab "no-such-lab" has no page in site/src/content/docs/labs/',
    ])
  })
  it('rejects a <Lab> used in the body but not listed in frontmatter', () => {
    const text = `${frontmatter('sse', 'Unlisted lab?')}See <Lab slug="heartbeat" />.\n`
    const { problems } = checkBank(bank({ 'sse/x.mdx': text }), LABS, 1)
    expect(problems).toEqual([
      'sse/x.mdx: <Lab slug="heartbeat"> is not listed in frontmatter labs',
    ])
  })
  it('rejects a metric id that is not a key of METRICS, and an unlisted <Measured>', () => {
    const text = `${frontmatter('sse', 'Bad metric?', {
      metrics: '[{ id: latency.p42, protocols: [sse] }]',
    })}Value <Measured id="server.cpu" protocols={["sse"]} />.\n`
    const { problems } = checkBank(bank({ 'sse/x.mdx': text }), LABS, 1)
    expect(problems).toEqual([
      'sse/x.mdx: metric "latency.p42" is not a key of METRICS',
      'sse/x.mdx: <Measured id="server.cpu"> is not listed in frontmatter metrics',
    ])
  })
  it('rejects a variant citation the cited run did not measure, naming the report file', () => {
    const run = citedRun(join(REPO_ROOT, 'test', 'site', 'fixtures'))
    expect(run?.reportFile).toBe('test/site/fixtures/quick-variants/report.json')
    const metrics =
      '[{ id: server.cpu, protocols: [sse], topology: cluster-2 }, { id: bytesPerFrame, protocols: [websocket], encoding: binary, connections: 5000 }]'
    const text = `${frontmatter('sse', 'Cluster cost?', { metrics })}<Measured id="server.cpu" protocols={["sse"]} topology="cluster-2" /> <Measured id="server.cpu" protocols={["sse","websocket"]} topology="cluster-9" /> <Measured id="server.cpu" protocols={[sse]} />\n`
    const { problems } = checkBank(bank({ 'sse/x.mdx': text }), LABS, 1, REPO_ROOT, run)
    expect(problems).toEqual([
      'sse/x.mdx: <Measured id="server.cpu" protocols={["sse","websocket"]} topology="cluster-9" />: test/site/fixtures/quick-variants/report.json has no sse, websocket step of that variant (reference design, cluster-9); a run with variants: npm run bench -- --cluster 2 --encodings json,binary --network 4g,3g,4g-lossy',
      `sse/x.mdx: <Measured id="server.cpu" protocols={[sse]} />: protocols must be a literal list of ${PROTOCOLS.join(', ')}`,
      'sse/x.mdx: metrics "bytesPerFrame": test/site/fixtures/quick-variants/report.json has no websocket step at 5000 connections (reference design, single/binary)',
    ])
  })
  it('rejects a topology or encoding the bench does not know', () => {
    const text = `${frontmatter('sse', 'Odd variant?', {
      metrics: '[{ id: server.cpu, protocols: [sse], topology: two-servers, encoding: msgpack }]',
    })}<Measured id="server.cpu" protocols={["sse"]} encoding="msgpack" />\n`
    const { problems } = checkBank(bank({ 'sse/x.mdx': text }), LABS, 1)
    expect(problems).toEqual([
      expect.stringMatching(
        /^sse\/x\.mdx: frontmatter fails the schema: metrics\.0\.topology: topology is single or cluster-N.*metrics\.0\.encoding/,
      ),
    ])
    const body = `${frontmatter('sse', 'Odd encoding?', {
      metrics: '[{ id: server.cpu, protocols: [sse] }]',
    })}<Measured id="server.cpu" protocols={["sse"]} encoding="msgpack" />\n`
    expect(checkBank(bank({ 'sse/x.mdx': body }), LABS, 1).problems).toEqual([
      'sse/x.mdx: <Measured id="server.cpu" protocols={["sse"]} encoding="msgpack" />: encoding "msgpack" is not one of json, binary',
    ])
  })
  it('rejects a <Source> path that does not exist', () => {
    const text = `${frontmatter('sse', 'Missing source?')}<Source path="servers/no-such-file.ts" />\n`
    const { problems } = checkBank(bank({ 'sse/x.mdx': text }), LABS, 1)
    expect(problems).toEqual(['sse/x.mdx: <Source path="servers/no-such-file.ts"> does not exist'])
  })
  it('rejects a question with neither a lab nor a metric', () => {
    const { problems } = checkBank(
      bank({ 'sse/x.mdx': frontmatter('sse', 'No evidence?', { labs: '[]' }) }),
      LABS,
      1,
    )
    expect(problems).toEqual(['sse/x.mdx: links no lab and cites no metric (issue 7 requires one)'])
  })
  it('rejects a topic folder without index.mdx', () => {
    const root = bank({})
    rmSync(join(root, 'beyond', 'index.mdx'))
    expect(checkBank(root, LABS, 1).problems).toEqual(['beyond/index.mdx: missing'])
  })
  it('rejects a bank with too few questions (index pages do not count)', () => {
    expect(checkBank(bank({}), LABS, 2).problems).toEqual(['bank holds 1 questions, fewer than 2'])
  })
})

/**
 * Build-time checks of one question file beyond its frontmatter schema: the folder matches the
 * topic, and every lab, metric and source file it cites exists — and a citation of a variant
 * (`topology="cluster-2"`, `encoding="binary"`, `network="4g"`) names one the cited run measured. A failure
 * stops the build with an error that names the question file.
 */
import { PROTOCOLS, type Protocol } from '../../../servers/transports/protocols.ts'
import { LAB_SLUGS } from './labels.ts'
import { isMetricId } from '../../../load/bench/metrics.ts'
import { citationProblem, type Citation, type CitableRun } from './figures.ts'
import { readSourceRegion } from './source-region.ts'

/** The parts of a `questions` entry the checks read. */
export interface CheckedQuestion {
  id: string
  body?: string | undefined
  data: {
    topic: string
    labs: string[]
    metrics: Citation[]
    missing?: readonly { feature: string; reason: string }[] | undefined
    related?: readonly string[] | undefined
  }
}

/** A mention of another answer in prose ("see the sticky-sessions question") that is not a link. */
const UNLINKED_QUESTION =
  /\b(?:see|covered\s+in)\s+the\s+((?:(?!\bquestion\b)[^.()[\]]){1,50}?) question\b(?!\]\()/gi

/** A mention of the seed documents, which a reader can only place through the /seeds/ page. */
const SEED_MENTION = /\bseeds?\b|\bseed 00\d/i

/**
 * "Reference" names one thing on the site: the lab's own server design (against the baseline).
 * The committed benchmark run is the published run (`results/published/`).
 */
const REFERENCE_AS_RUN = /\breference (?:run|report|results)\b|results\/reference\b/i

/** Targets of Markdown links to question pages: `](/questions/<topic>/<slug>/)` gives `<topic>/<slug>`. */
const QUESTION_LINK = /\]\(\/questions\/([a-z0-9-]+\/[a-z0-9-]+)\/?(?:#[^)]*)?\)/g

/**
 * A sentence that says of the lab that something is planned or missing: stale once the code
 * has it. Allowed only when the frontmatter lists what is missing (`missing:`), with a reason.
 */
const STALE_CLAIM =
  /[^.!?\n]*\b(?:the lab|the lab's|in the lab)\b[^.!?\n]*\b(?:planned|not (?:yet )?(?:built|implemented|supported|available)|does not (?:yet )?(?:implement|support|have)|doesn't (?:yet )?(?:implement|support|have)|has no|lacks|currently runs one process|would do this)\b[^.!?\n]*/gi
/** Production-vs-lab hedges that were true once and go stale silently. */
const STALE_HEDGE =
  /[^.!?\n]*\b(?:A production (?:deployment|service) would do (?:this|the above)|(?:is|are) not part of the lab)\b[^.!?\n]*/gi

/** An answer's closing line naming its primary sources, with at least one link. */
const SOURCES_LINE = /^\*\*Sources\*\*: .*\]\(https:\/\//m

/** The stale claims of an answer's body (sentences, trimmed). */
export function staleClaims(body: string): string[] {
  const sentences = [...body.matchAll(STALE_CLAIM), ...body.matchAll(STALE_HEDGE)].map((match) =>
    match[0].trim(),
  )
  return [...new Set(sentences)]
}

/** The run citations are checked against, and how error messages name its file. */
export interface CheckedRun extends CitableRun {
  reportFile: string
}

/** Attribute `name="value"` (or `name='value'`) of one tag's text. */
const attribute = (tag: string, name: string): string | undefined =>
  new RegExp(`\\b${name}=(?:"([^"]*)"|'([^']*)')`)
    // An alternative that did not take part is undefined at run time, whatever the type says.
    .exec(tag)
    ?.slice(1)
    .find((value: string | undefined) => value !== undefined)

/** A JSX expression attribute `name={…}` of one tag's text, parsed as JSON; undefined when absent or not JSON. */
const expression = (tag: string, name: string): unknown => {
  const text = new RegExp(`\\b${name}=\\{([^}]*)\\}`).exec(tag)?.[1]
  if (text === undefined) return undefined
  try {
    return JSON.parse(text.replaceAll("'", '"'))
  } catch {
    return undefined
  }
}

/**
 * The citation a `<Measured …>` tag makes, as far as its attributes are literal: `protocols`
 * must be an array literal of protocol names, `connections` a number.
 * @returns the citation, or a problem string
 */
export function measuredCitation(tag: string): Citation | string {
  const id = attribute(tag, 'id')
  if (id === undefined || !isMetricId(id)) return `${tag}: unknown metric id`
  const protocols = expression(tag, 'protocols')
  const known: readonly string[] = PROTOCOLS
  if (
    !Array.isArray(protocols) ||
    protocols.length === 0 ||
    !protocols.every((value) => typeof value === 'string' && known.includes(value))
  )
    return `${tag}: protocols must be a literal list of ${PROTOCOLS.join(', ')}`
  const connections = expression(tag, 'connections') ?? attribute(tag, 'connections')
  const count = connections === undefined ? undefined : Number(connections)
  if (count !== undefined && !(Number.isInteger(count) && count > 0))
    return `${tag}: connections must be a positive integer`
  const design = attribute(tag, 'design')
  if (design !== undefined && design !== 'reference' && design !== 'baseline')
    return `${tag}: design must be reference or baseline`
  return {
    id,
    protocols: protocols as Protocol[],
    connections: count,
    design,
    topology: attribute(tag, 'topology'),
    encoding: attribute(tag, 'encoding'),
    network: attribute(tag, 'network'),
    failed: attribute(tag, 'failed'),
  }
}

/** Every `<Name …>` tag of a component in an MDX body. */
const tags = (body: string, name: string): string[] =>
  body.match(new RegExp(`<${name}\\b[^>]*>`, 'g')) ?? []

/**
 * Throws when the question cites something that does not exist.
 * @param run the run figures are cited from; undefined when `results/` holds none
 * @throws Error starting with `questions/<id>.mdx:` and naming what is wrong
 */
export function checkQuestion(
  entry: CheckedQuestion,
  run?: CheckedRun,
  questionIds?: ReadonlySet<string>,
): void {
  const file = `questions/${entry.id}.mdx`
  const problems: string[] = []
  const folder = entry.id.split('/')[0]
  if (folder !== entry.data.topic)
    problems.push(`topic "${entry.data.topic}" does not match its folder "${String(folder)}"`)
  const labs = new Set<string>(LAB_SLUGS)
  for (const slug of entry.data.labs)
    if (!labs.has(slug)) problems.push(`labs: no lab "${slug}" (known: ${LAB_SLUGS.join(', ')})`)
  const where = run?.reportFile ?? ''
  for (const metric of entry.data.metrics) {
    if (!isMetricId(metric.id)) {
      problems.push(`metrics: unknown metric id "${metric.id}"`)
      continue
    }
    const problem = citationProblem(run, metric, where)
    if (problem !== undefined) problems.push(`metrics "${metric.id}": ${problem}`)
  }
  const body = entry.body ?? ''
  if (!entry.id.endsWith('/index') && !SOURCES_LINE.test(body))
    problems.push(
      'no "**Sources**:" line: link the RFC section, spec or library docs each rule and fact rests on',
    )
  for (const match of body.matchAll(UNLINKED_QUESTION))
    problems.push(
      `"${match[0].replace(/\s+/g, ' ')}" is not a link: write [the … question](/questions/<topic>/<slug>/)`,
    )
  if (SEED_MENTION.test(body) && !body.includes('](/seeds/'))
    problems.push(
      'mentions the seeds without a link: write [seed 000](/seeds/#seed-000) or [the seeds](/seeds/)',
    )
  const referenceAsRun = REFERENCE_AS_RUN.exec(body)
  if (referenceAsRun)
    problems.push(
      `"${referenceAsRun[0]}": "reference" names the server design; the committed run is the published run (results/published/)`,
    )
  if (questionIds !== undefined) {
    for (const id of entry.data.related ?? [])
      if (!questionIds.has(id)) problems.push(`related: no question "${id}"`)
    for (const match of body.matchAll(QUESTION_LINK))
      if (!questionIds.has(match[1] ?? ''))
        problems.push(`link to /questions/${String(match[1])}/: no such question`)
  }
  if ((entry.data.missing ?? []).length === 0) {
    for (const claim of staleClaims(body))
      problems.push(
        `stale claim "${claim.slice(0, 120)}": say what the lab does now, or list the feature under missing: with a reason`,
      )
  }
  for (const tag of tags(body, 'Lab')) {
    const slug = attribute(tag, 'slug')
    if (slug === undefined || !labs.has(slug)) problems.push(`${tag}: no such lab`)
  }
  for (const tag of tags(body, 'Measured')) {
    const citation = measuredCitation(tag)
    if (typeof citation === 'string') {
      problems.push(citation)
      continue
    }
    const problem = citationProblem(run, citation, where)
    if (problem !== undefined) problems.push(`${tag}: ${problem}`)
  }
  for (const tag of tags(body, 'Source')) {
    const path = attribute(tag, 'path')
    if (path === undefined) {
      problems.push(`${tag}: missing path`)
      continue
    }
    try {
      readSourceRegion(path, attribute(tag, 'region'))
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (problems.length > 0) throw new Error(`${file}: ${problems.join('; ')}`)
}

/**
 * Build-time checks of one question file beyond its frontmatter schema: the folder matches the
 * topic, and every lab, metric and source file it cites exists. A failure stops the build with
 * an error that names the question file.
 */
import { LAB_SLUGS } from './labels.ts'
import { isMetricId } from './figures.ts'
import { readSourceRegion } from './source-region.ts'

/** The parts of a `questions` entry the checks read. */
export interface CheckedQuestion {
  id: string
  body?: string | undefined
  data: { topic: string; labs: string[]; metrics: { id: string }[] }
}

/** Attribute `name="value"` (or `name='value'`) of one tag's text. */
const attribute = (tag: string, name: string): string | undefined =>
  new RegExp(`\\b${name}=(?:"([^"]*)"|'([^']*)')`)
    .exec(tag)
    ?.slice(1)
    .find((value) => value !== undefined)

/** Every `<Name …>` tag of a component in an MDX body. */
const tags = (body: string, name: string): string[] =>
  body.match(new RegExp(`<${name}\\b[^>]*>`, 'g')) ?? []

/**
 * Throws when the question cites something that does not exist.
 * @throws Error starting with `questions/<id>.mdx:` and naming what is wrong
 */
export function checkQuestion(entry: CheckedQuestion): void {
  const file = `questions/${entry.id}.mdx`
  const problems: string[] = []
  const folder = entry.id.split('/')[0]
  if (folder !== entry.data.topic)
    problems.push(`topic "${entry.data.topic}" does not match its folder "${String(folder)}"`)
  const labs = new Set<string>(LAB_SLUGS)
  for (const slug of entry.data.labs)
    if (!labs.has(slug)) problems.push(`labs: no lab "${slug}" (known: ${LAB_SLUGS.join(', ')})`)
  for (const metric of entry.data.metrics)
    if (!isMetricId(metric.id)) problems.push(`metrics: unknown metric id "${metric.id}"`)
  const body = entry.body ?? ''
  for (const tag of tags(body, 'Lab')) {
    const slug = attribute(tag, 'slug')
    if (slug === undefined || !labs.has(slug)) problems.push(`${tag}: no such lab`)
  }
  for (const tag of tags(body, 'Measured')) {
    const id = attribute(tag, 'id')
    if (id === undefined || !isMetricId(id)) problems.push(`${tag}: unknown metric id`)
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

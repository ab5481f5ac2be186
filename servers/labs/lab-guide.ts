/** Renders the lab catalog as the text `npm run lab` prints. No I/O. */
import { LAB_CATALOG, type LabCatalogEntry } from './lab-catalog.ts'

const STATUS_LABEL: Readonly<Record<LabCatalogEntry['status'], string>> = Object.freeze({
  lab: 'lab',
  feature: 'feature',
  planned: 'not built yet',
})

/** One line per entry: name, status, summary. */
export function renderLabList(): string {
  const width = Math.max(...LAB_CATALOG.map((entry) => entry.name.length))
  const statusWidth = Math.max(...Object.values(STATUS_LABEL).map((label) => label.length)) + 2
  const lines = LAB_CATALOG.map((entry) => {
    const status = `[${STATUS_LABEL[entry.status]}]`.padEnd(statusWidth)
    return `  ${entry.name.padEnd(width)}  ${status}  ${entry.summary}`
  })
  return ['Labs (npm run lab -- <name> for what to open and try):', '', ...lines, ''].join('\n')
}

/** The full guide of one entry: start command, what to open, what to try, site pages. */
export function renderLabGuide(entry: LabCatalogEntry): string {
  const lines = [`${entry.name} [${STATUS_LABEL[entry.status]}]: ${entry.summary}`, '']
  if (entry.seedTasks.length > 0) lines.push(`Seed 002 task: ${entry.seedTasks.join(', ')}`, '')
  if (entry.reason !== undefined) lines.push(entry.reason, '')
  if (entry.start !== undefined) lines.push('Start the server:', `  ${entry.start}`, '')
  if (entry.open.length > 0) lines.push('Open:', ...entry.open.map((item) => `  ${item}`), '')
  if (entry.tryThis.length > 0) {
    lines.push('Try:', ...entry.tryThis.map((item, index) => `  ${index + 1}. ${item}`), '')
  }
  if (entry.sitePages.length > 0) {
    lines.push(
      'On the site (npm run site):',
      ...entry.sitePages.map((slug) => `  /labs/${slug}/`),
      '',
    )
  }
  return lines.join('\n')
}

/**
 * Loads benchmark runs for the `results` collection: one entry per `results/<run-id>/report.json`,
 * validated with the bench's own `reportSchema`, plus each step's per-second latency series.
 * Only the default variant (one server process, JSON frames) is kept: cluster and encoding
 * steps of a `--cluster` / `--encodings` run are compared by the bench's own table, and never
 * mix into the site's single-instance figures and charts.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Loader } from 'astro/loaders'
import { z } from 'astro/zod'
import { isDefaultVariant, reportSchema } from '../../../load/bench/report-schema.ts'
import { parseSeries, seriesPointSchema } from './step-series.ts'

/** A run as the site stores it: the report, where it came from, and each step's series. */
export const runEntrySchema = reportSchema.extend({
  /** Folder name under `results/` (the run id as the site links it, e.g. `reference`). */
  folder: z.string(),
  /** Per step (same index as `steps`), the per-second series; empty when the file is missing or unreadable. */
  series: z.array(z.array(seriesPointSchema)),
})

/** The data of one `results` entry. */
export type RunEntry = z.infer<typeof runEntrySchema>

/**
 * A content loader over `<base>/<run-id>/report.json`. A report that does not match the schema
 * fails the build naming the file and the field.
 * @param base results folder, relative to the site root (`../results`)
 */
export function resultsLoader(base: string): Loader {
  return {
    name: 'realtime-lab-results',
    load: async ({ store, parseData, config, logger, generateDigest }) => {
      const dir = fileURLToPath(new URL(base.endsWith('/') ? base : `${base}/`, config.root))
      store.clear()
      if (!existsSync(dir)) {
        logger.info(`no results folder at ${dir}: the results pages show “no results yet”`)
        return
      }
      for (const folder of readdirSync(dir).sort()) {
        const reportPath = join(dir, folder, 'report.json')
        if (!statSync(join(dir, folder)).isDirectory() || !existsSync(reportPath)) continue
        const shown = relative(join(fileURLToPath(config.root), '..'), reportPath)
        let raw: unknown
        try {
          raw = JSON.parse(readFileSync(reportPath, 'utf8'))
        } catch (error) {
          throw new Error(`${shown} is not valid JSON: ${(error as Error).message}`)
        }
        const checked = reportSchema.safeParse(raw)
        if (!checked.success) {
          const fields = checked.error.issues
            .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
            .join('; ')
          throw new Error(`${shown} does not match load/bench/report-schema.ts — ${fields}`)
        }
        const report = {
          ...checked.data,
          steps: checked.data.steps.filter(isDefaultVariant),
          ladders: checked.data.ladders.filter(isDefaultVariant),
        }
        const series = report.steps.map((step) => {
          const seriesPath = join(dir, folder, step.files.series)
          if (!existsSync(seriesPath)) return []
          const parsed = parseSeries(readFileSync(seriesPath, 'utf8'))
          if (parsed === null)
            logger.warn(`${relative(dir, seriesPath)}: unrecognised series format, not charted`)
          return parsed ?? []
        })
        const data = await parseData({
          id: folder,
          data: { ...report, folder, series },
          filePath: reportPath,
        })
        // Astro wants entry paths relative to the site root (`../results/<run>/report.json`).
        const filePath = relative(fileURLToPath(config.root), reportPath)
        store.set({ id: folder, data, filePath, digest: generateDigest(data) })
      }
    },
  }
}

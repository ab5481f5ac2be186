/**
 * Loads benchmark runs for the `results` collection: one entry per `results/<run-id>/report.json`,
 * validated with the bench's own `reportSchema`, plus each step's per-second latency series.
 * `steps` and `ladders` hold only the default variant (one server process, JSON frames), so the
 * site's single-instance charts and figures never mix with a `--cluster` / `--encodings` run's
 * other variants; those are kept apart in `variantSteps` and `variantLadders`, which the
 * variant comparison and variant citations (`<Measured topology="cluster-2">`) read.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Loader } from 'astro/loaders'
import { z } from 'astro/zod'
import {
  isDefaultVariant,
  ladderSchema,
  reportSchema,
  stepSchema,
  type LadderResult,
  type Report,
  type Variant,
} from '../../../load/bench/report-schema.ts'
import { parseSeries, seriesPointSchema } from './step-series.ts'
import { verdictOf, type LadderVerdict } from '../../../load/bench/ladder.ts'

/** A run as the site stores it: the report, where it came from, and each step's series. */
export const runEntrySchema = reportSchema.extend({
  /** Folder name under `results/` (the run id as the site links it, e.g. `reference`). */
  folder: z.string(),
  /** The report's path as error messages name it, relative to the repository (`results/published/report.json`). */
  reportFile: z.string(),
  /** Per step (same index as `steps`), the per-second series; empty when the file is missing or unreadable. */
  series: z.array(z.array(seriesPointSchema)),
  /** Steps of every other variant (`cluster-N` topology, `binary` encoding), in run order. */
  variantSteps: z.array(stepSchema),
  /** Ladders of every other variant. */
  variantLadders: z.array(ladderSchema),
})

/** The data of one `results` entry. */
export type RunEntry = z.infer<typeof runEntrySchema>

/**
 * Splits a report's steps and ladders by variant: the default variant (one server process, JSON
 * frames) in `steps` / `ladders`, every other in `variantSteps` / `variantLadders`.
 */
export function splitVariants(
  report: Report,
): Pick<RunEntry, 'steps' | 'ladders' | 'variantSteps' | 'variantLadders'> {
  const isOtherVariant = (item: Variant): boolean => !isDefaultVariant(item)
  return {
    steps: report.steps.filter(isDefaultVariant),
    ladders: report.ladders.filter(isDefaultVariant),
    variantSteps: report.steps.filter(isOtherVariant),
    variantLadders: report.ladders.filter(isOtherVariant),
  }
}

/**
 * A run as the site stores it, from a checked report: its variants split, and the series of
 * each default-variant step (none: no series charts).
 */
export function runEntryOf(
  report: Report,
  folder: string,
  reportFile: string,
  series: RunEntry['series'] = [],
): RunEntry {
  return { ...report, ...splitVariants(report), folder, reportFile, series }
}

/**
 * A content loader over `<base>/<run-id>/report.json`. A report that does not match the schema
 * fails the build naming the file and the field.
 * @param base results folder, relative to the site root (`../results`) or absolute
 */
export function resultsLoader(base: string): Loader {
  return {
    name: 'realtime-lab-results',
    load: async (context) => {
      const { store, config, logger } = context
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
          throw new Error(`${shown} is not valid JSON: ${(error as Error).message}`, {
            cause: error,
          })
        }
        const checked = reportSchema.safeParse(raw)
        if (!checked.success) {
          const fields = checked.error.issues
            .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
            .join('; ')
          throw new Error(`${shown} does not match load/bench/report-schema.ts — ${fields}`)
        }
        const series = splitVariants(checked.data).steps.map((step) => {
          const seriesPath = join(dir, folder, step.files.series)
          if (!existsSync(seriesPath)) return []
          const parsed = parseSeries(readFileSync(seriesPath, 'utf8'))
          if (parsed === null)
            logger.warn(`${relative(dir, seriesPath)}: unrecognised series format, not charted`)
          return parsed ?? []
        })
        const data = await context.parseData({
          id: folder,
          data: runEntryOf(checked.data, folder, shown, series),
          filePath: reportPath,
        })
        // Astro wants entry paths relative to the site root (`../results/<run>/report.json`).
        const filePath = relative(fileURLToPath(config.root), reportPath)
        store.set({ id: folder, data, filePath, digest: context.generateDigest(data) })
      }
    },
  }
}

/** A ladder of `run` judged by the bench's one verdict rule (`load/bench/ladder.ts`). */
export function runLadderVerdict(run: RunEntry, ladder: LadderResult): LadderVerdict {
  return verdictOf(ladder, {
    steps: [...run.steps, ...run.variantSteps],
    parameters: run.parameters,
  })
}

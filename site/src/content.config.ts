/**
 * Content collections: Starlight's `docs` (home, labs, API reference), the question bank from
 * `../questions` and the benchmark runs from `../results`.
 */
import { defineCollection } from 'astro:content'
import { glob } from 'astro/loaders'
import { z } from 'astro/zod'
import { docsLoader, i18nLoader } from '@astrojs/starlight/loaders'
import { docsSchema, i18nSchema } from '@astrojs/starlight/schema'
import { questionSchema } from './schemas/question.ts'
import { resultsLoader, runEntrySchema } from './lib/results-loader.ts'

/**
 * Where the question bank is read from: `../questions` (relative to `site/`), or the folder named by
 * `REALTIME_LAB_QUESTIONS_DIR` — e.g. to preview the site against a branch's questions.
 */
const questionsDir = process.env['REALTIME_LAB_QUESTIONS_DIR'] ?? '../questions'

/** `questions/<topic>/<slug>.mdx` without the extension, e.g. `sse/why-sse`: stable and unique. */
const idFromPath = ({ entry }: { entry: string }): string => entry.replace(/\.mdx?$/, '')

/** Every question of the bank; frontmatter validated by the shared question schema. */
const questions = defineCollection({
  loader: glob({
    base: questionsDir,
    pattern: ['**/*.mdx', '!**/index.mdx'],
    generateId: idFromPath,
  }),
  schema: questionSchema,
})

/** `questions/<topic>/index.mdx`: the introduction of a topic, rendered as its landing page. */
const topics = defineCollection({
  loader: glob({ base: questionsDir, pattern: '*/index.mdx', generateId: idFromPath }),
  schema: z.looseObject({
    /** Heading of the topic landing page. */
    title: z.string().min(3),
    /** One-line summary shown in the topic list; optional. */
    description: z.string().optional(),
    /** Position in the topic list; optional, otherwise the order of `TOPICS`. */
    order: z.number().int().nonnegative().optional(),
  }),
})

/**
 * Where benchmark runs are read from: `../results` (relative to `site/`), or the folder named by
 * `REALTIME_LAB_RESULTS_DIR` — e.g. to preview a run made with `npm run bench -- --out-dir <dir>/<id>`
 * without copying it under `results/`.
 */
const resultsDir = process.env['REALTIME_LAB_RESULTS_DIR'] ?? '../results'

/** One entry per `results/<run-id>/report.json`, validated with the bench's report schema. */
const results = defineCollection({ loader: resultsLoader(resultsDir), schema: runEntrySchema })

export const collections = {
  docs: defineCollection({ loader: docsLoader(), schema: docsSchema() }),
  // Starlight's UI strings (`src/content/i18n/en.json`); declared so the build does not warn.
  i18n: defineCollection({ loader: i18nLoader(), schema: i18nSchema() }),
  questions,
  topics,
  results,
}

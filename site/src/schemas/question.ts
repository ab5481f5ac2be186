/**
 * Frontmatter of one interview question (`questions/<topic>/<slug>.mdx`).
 * Used by the site's `questions` content collection and by the question-bank test.
 */
import { z } from 'zod'
import { PROFILE_NAMES, isProfileName } from '../../../load/network/profiles.ts'
import { FEED_ENCODINGS } from '../../../servers/feed/binary-layout.ts'
import { PROTOCOLS } from '../../../servers/transports/protocols.ts'

/** Topic folders under `questions/`; each has an `index.mdx`. */
export const TOPICS = [
  'websocket-fundamentals',
  'node-servers',
  'sse',
  'polling',
  'react',
  'reliability',
  'scaling',
  'security',
  'realtime-apps',
  'beyond',
] as const

/** A measured figure the answer cites: the site reads its value from the results. */
export const metricRefSchema = z.object({
  /** An id of `METRICS` in `load/bench/metrics.ts`, e.g. `latency.p99`. */
  id: z.string(),
  /** Protocols to compare; the component shows one value per protocol. */
  protocols: z.array(z.enum(PROTOCOLS)).min(1),
  /** Connection count of the ladder step; omitted: the largest step every listed protocol reached. */
  connections: z.number().int().positive().optional(),
  /** `reference` (default) or `baseline`, the seeds' naive design. */
  design: z.enum(['reference', 'baseline']).default('reference'),
  /** `single` (default: one server process) or `cluster-N`: a step of a `bench --cluster N` run. */
  topology: z
    .string()
    .regex(/^(single|cluster-[1-9]\d*)$/, 'topology is single or cluster-N (e.g. cluster-2)')
    .optional(),
  /** `json` (default) or `binary`: a step of a `bench --encodings json,binary` run. */
  encoding: z.enum(FEED_ENCODINGS).optional(),
  /** A link profile (load/network/profiles.ts): a step of a `bench --network …` run. */
  network: z
    .string()
    .refine(isProfileName, `network is one of ${PROFILE_NAMES.join(', ')}`)
    .optional(),
  /**
   * Cites a step that does not hold (invalid, over budget, under-connected or under-delivered)
   * on purpose: why that failure teaches something. The page states the failure in words.
   */
  failed: z.string().min(1).optional(),
})

export const questionSchema = z.object({
  /** The question as an interviewer asks it. Unique across the bank. */
  title: z.string().min(8),
  /** Folder name; must match the file's folder. */
  topic: z.enum(TOPICS),
  difficulty: z.enum(['junior', 'mid', 'senior']),
  /** Protocols the answer is about. */
  protocols: z.array(z.enum([...PROTOCOLS, 'http'])).min(1),
  /** The answer in one to three sentences. */
  tldr: z.string().min(20).max(400),
  /** Slugs of lab pages (`site/src/content/docs/labs/<slug>.mdx`). */
  labs: z.array(z.string()).default([]),
  /** Figures from the results this answer cites. */
  metrics: z.array(metricRefSchema).default([]),
  /**
   * What the answer says the lab truly lacks, each with a one-line reason. Only then may its
   * body say of the lab that something is planned, not built or not yet there (the stale-claim
   * check of question-checks.ts).
   */
  missing: z
    .array(z.object({ feature: z.string().min(3), reason: z.string().min(10) }))
    .default([]),
  /**
   * Ids (`<topic>/<slug>`) of questions that cover the same ground from another side, shown as
   * "Related questions" links; each must exist.
   */
  related: z.array(z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/)).default([]),
  /** Position within the topic, ascending. */
  order: z.number().int().nonnegative(),
})

export type Question = z.infer<typeof questionSchema>

/**
 * The benchmark runs of the `results` collection, newest first, and the run figures are cited from.
 */
import { getCollection } from 'astro:content'
import type { RunEntry } from './results-loader.ts'
import { defaultRun } from './figures.ts'

/** Every run under `results/`, newest first. */
export async function loadRuns(): Promise<RunEntry[]> {
  const entries = await getCollection('results')
  return entries.map((entry) => entry.data).sort((a, b) => b.createdAt.localeCompare(a.createdAt))
}

/** The run figures are cited from (see {@link defaultRun}); undefined when there is none. */
export async function loadDefaultRun(): Promise<RunEntry | undefined> {
  return defaultRun(await loadRuns())
}

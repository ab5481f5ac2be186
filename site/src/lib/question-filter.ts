/**
 * The study list's filter: which questions a learner sees for a search text, a topic, a level
 * and whether done questions are hidden. No DOM: the page script applies it to its rows.
 */

/** What the list knows of one question. */
export interface ListedQuestion {
  /** `<topic>/<slug>`. */
  id: string
  topic: string
  difficulty: string
  /** Title and TL;DR, the text a search matches. */
  text: string
}

/** The learner's choices; an empty string means "any". */
export interface QuestionFilter {
  search: string
  topic: string
  difficulty: string
  hideDone: boolean
}

/** Lower-case words of a search, so "ws backpressure" matches in any order. */
const words = (search: string): string[] =>
  search
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word !== '')

/** Whether `question` passes `filter`, given the ids marked done. */
export function matchesFilter(
  question: ListedQuestion,
  filter: QuestionFilter,
  done: ReadonlySet<string>,
): boolean {
  if (filter.topic !== '' && question.topic !== filter.topic) return false
  if (filter.difficulty !== '' && question.difficulty !== filter.difficulty) return false
  if (filter.hideDone && done.has(question.id)) return false
  const text = question.text.toLowerCase()
  return words(filter.search).every((word) => text.includes(word))
}

/** Key under which the ids of done questions are kept in `localStorage`. */
export const DONE_KEY = 'realtime-lab:done'

/** The done ids stored under {@link DONE_KEY}; anything unreadable counts as none. */
export function parseDone(stored: string | null): Set<string> {
  if (stored === null) return new Set()
  try {
    const value: unknown = JSON.parse(stored)
    return new Set(
      Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : [],
    )
  } catch {
    return new Set()
  }
}

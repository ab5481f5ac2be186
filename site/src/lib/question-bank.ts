/**
 * The question bank as the pages use it: questions grouped by topic in `order`, topic titles,
 * and the topic sidebar of the question pages.
 */
import { getCollection, type CollectionEntry } from 'astro:content'
import type { StarlightUserConfig } from '@astrojs/starlight/types'
import { TOPICS } from '../schemas/question.ts'
import { TOPIC_LABELS } from './labels.ts'

/** A topic folder name. */
export type Topic = (typeof TOPICS)[number]

/** One topic with its introduction (if written) and its questions in order. */
export interface TopicGroup {
  topic: Topic
  title: string
  description: string | undefined
  intro: CollectionEntry<'topics'> | undefined
  questions: CollectionEntry<'questions'>[]
}

/** URL of a question page: `/questions/<topic>/<slug>/`. */
export const questionHref = (entry: CollectionEntry<'questions'>): string =>
  `/questions/${entry.id}/`

/** Every topic that has an introduction or at least one question, in `TOPICS` order. */
export async function loadTopicGroups(): Promise<TopicGroup[]> {
  const [questions, intros] = await Promise.all([
    getCollection('questions'),
    getCollection('topics'),
  ])
  return TOPICS.map((topic): TopicGroup => {
    const intro = intros.find((entry) => entry.id === `${topic}/index`)
    return {
      topic,
      title: intro?.data.title ?? TOPIC_LABELS[topic],
      description: intro?.data.description,
      intro,
      questions: questions
        .filter((entry) => entry.id.startsWith(`${topic}/`))
        .sort((a, b) => a.data.order - b.data.order || a.data.title.localeCompare(b.data.title)),
    }
  }).filter((group) => group.intro !== undefined || group.questions.length > 0)
}

type Sidebar = NonNullable<StarlightUserConfig['sidebar']>

/** The sidebar of question and topic pages: every topic, the current one expanded with its questions. */
export function topicSidebar(groups: readonly TopicGroup[], current: Topic | undefined): Sidebar {
  return [
    { label: 'All topics', link: '/questions/' },
    ...groups.map((group) => ({
      // The short label keeps the sidebar readable; the landing page shows the full title.
      label: `${TOPIC_LABELS[group.topic]} (${group.questions.length})`,
      collapsed: group.topic !== current,
      items: [
        { label: 'Overview', link: `/questions/${group.topic}/` },
        ...group.questions.map((entry) => ({
          label: entry.data.title,
          link: questionHref(entry),
          badge: { text: entry.data.difficulty, variant: badgeVariant(entry.data.difficulty) },
        })),
      ],
    })),
    {
      label: 'The lab',
      items: [
        { label: 'Benchmark results', link: '/results/' },
        { label: 'Live demo', link: '/live/' },
        { label: 'Labs', link: '/labs/first-stream/' },
      ],
    },
  ]
}

const badgeVariant = (difficulty: 'junior' | 'mid' | 'senior'): 'success' | 'caution' | 'danger' =>
  difficulty === 'junior' ? 'success' : difficulty === 'mid' ? 'caution' : 'danger'

/**
 * The study list on /questions/: filters the rows as the learner types or picks, and keeps the
 * done ticks in localStorage (see question-filter.ts for the rules).
 */
import { DONE_KEY, matchesFilter, parseDone, type QuestionFilter } from '../lib/question-filter.ts'

const form = document.querySelector<HTMLFormElement>('[data-question-filter]')
const list = document.querySelector<HTMLOListElement>('[data-question-list]')
const count = document.querySelector<HTMLElement>('[data-question-count]')
const empty = document.querySelector<HTMLElement>('[data-question-empty]')

/** localStorage can throw (disabled storage, private modes): the list then works without ticks. */
const readDone = (): Set<string> => {
  try {
    return parseDone(localStorage.getItem(DONE_KEY))
  } catch {
    return new Set()
  }
}
const writeDone = (done: ReadonlySet<string>): void => {
  try {
    localStorage.setItem(DONE_KEY, JSON.stringify([...done].sort()))
  } catch {
    // Not kept: the tick lasts until the page is left.
  }
}

if (form && list) {
  const rows = [...list.querySelectorAll<HTMLLIElement>('li[data-id]')]
  const done = readDone()
  const filterOf = (): QuestionFilter => {
    const data = new FormData(form)
    const text = (name: string): string => {
      const value = data.get(name)
      return typeof value === 'string' ? value : ''
    }
    return {
      search: text('search'),
      topic: text('topic'),
      difficulty: text('difficulty'),
      hideDone: data.get('hideDone') !== null,
    }
  }
  const apply = (): void => {
    const filter = filterOf()
    let shown = 0
    for (const row of rows) {
      const question = {
        id: row.dataset['id'] ?? '',
        topic: row.dataset['topic'] ?? '',
        difficulty: row.dataset['difficulty'] ?? '',
        text: row.dataset['text'] ?? '',
      }
      const box = row.querySelector<HTMLInputElement>('input[data-done]')
      if (box) box.checked = done.has(question.id)
      row.toggleAttribute('data-is-done', done.has(question.id))
      const visible = matchesFilter(question, filter, done)
      row.hidden = !visible
      if (visible) shown++
    }
    const ticked = rows.filter((row) => done.has(row.dataset['id'] ?? '')).length
    if (count)
      count.textContent = `${String(shown)} of ${String(rows.length)} questions shown · ${String(ticked)} done`
    if (empty) empty.hidden = shown > 0
  }
  form.addEventListener('input', apply)
  form.addEventListener('submit', (event) => {
    event.preventDefault()
  })
  list.addEventListener('change', (event) => {
    const box = event.target
    if (!(box instanceof HTMLInputElement) || !box.matches('[data-done]')) return
    const id = box.closest<HTMLLIElement>('li[data-id]')?.dataset['id']
    if (id === undefined) return
    if (box.checked) done.add(id)
    else done.delete(id)
    writeDone(done)
    apply()
  })
  apply()
}

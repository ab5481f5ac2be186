import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { LAB_CATALOG, SEED_002_TASKS } from '../../servers/labs/lab-catalog.ts'
import { LAB_NAMES } from '../../servers/labs/lab.ts'
import { LAB_SLUGS } from '../../site/src/lib/labels.ts'

const run = promisify(execFile)
const CLI = new URL('../../servers/labs/cli.ts', import.meta.url).pathname

describe('lab catalog', () => {
  it('maps every seed 002 task to exactly one entry', () => {
    for (const task of SEED_002_TASKS) {
      const entries = LAB_CATALOG.filter((entry) => entry.seedTasks.includes(task))
      expect(entries, task).toHaveLength(1)
    }
  })

  it('has an entry for every served lab, each with a start command and things to try', () => {
    for (const name of LAB_NAMES) {
      const entry = LAB_CATALOG.find((item) => item.name === name)
      expect(entry?.status, name).toBe('lab')
      expect(entry?.start).toBe('npm start')
      expect(entry?.tryThis.length).toBeGreaterThan(0)
    }
  })

  it('says "not built yet" with a reason for every planned entry, and nothing to try', () => {
    const planned = LAB_CATALOG.filter((entry) => entry.status === 'planned')
    expect(planned.map((entry) => entry.name)).toEqual(['jwt', 'redis', 'deploy'])
    for (const entry of planned) {
      expect(entry.reason).toMatch(/^Not built yet/)
      expect(entry.summary).toMatch(/not built yet/)
      expect(entry.tryThis).toEqual([])
    }
  })

  it('points only to site lab pages that exist and uses unique names', () => {
    const names = LAB_CATALOG.map((entry) => entry.name)
    expect(new Set(names).size).toBe(names.length)
    for (const entry of LAB_CATALOG) {
      for (const slug of entry.sitePages) expect(LAB_SLUGS, entry.name).toContain(slug)
    }
  })
})

describe('npm run lab', () => {
  it('lists every lab with its status when given no name', async () => {
    const { stdout } = await run(process.execPath, [CLI])
    for (const entry of LAB_CATALOG) expect(stdout).toContain(entry.name)
    expect(stdout).toMatch(/jwt\s+\[not built yet\]/)
  })

  it('prints the start command, what to open and what to try for one lab', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'chat'])
    expect(stdout).toContain('npm start')
    expect(stdout).toContain('ws://127.0.0.1:8080/labs/chat?room=lobby&user=ana')
    expect(stdout).toMatch(/Try:\n {2}1\. /)
  })

  it('exits 2 naming the labs when the name is unknown', async () => {
    const failure = (await run(process.execPath, [CLI, 'nope']).catch(
      (error: unknown) => error,
    )) as {
      code: number
      stderr: string
    }
    expect(failure.code).toBe(2)
    expect(failure.stderr).toContain('unknown lab "nope"')
    expect(failure.stderr).toContain('whiteboard')
  })
})

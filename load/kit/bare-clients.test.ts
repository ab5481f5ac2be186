import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PassThrough } from 'node:stream'
import { bareClientsArgs, collectReports, countOf } from './bare-clients.ts'

const dir = mkdtempSync(join(tmpdir(), 'bare-clients-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('runBareClients', () => {
  it('opens every client over the ramp, reports once a second, and ends with a done line', async () => {
    const script = join(dir, 'clients.ts')
    writeFileSync(
      script,
      `import { runBareClients } from ${JSON.stringify(join(import.meta.dirname, 'bare-clients.ts'))}
const opened: number[] = []
let stopped = false
runBareClients({
  clients: 5,
  rampMs: 500,
  runMs: 2300,
  open: (index) => { opened.push(index) },
  counts: () => ({ opened: opened.length, stopped: stopped ? 1 : 0 }),
  stop: () => { stopped = true },
})
`,
    )
    const stdout = await new Promise<string>((done, fail) => {
      execFile(process.execPath, [script], { timeout: 20_000 }, (error, out) => {
        if (error) fail(new Error(error.message, { cause: error }))
        else done(out)
      })
    })
    const lines = stdout
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { t: number; opened: number; stopped: number; done?: true },
      )
    expect(lines.length).toBeGreaterThanOrEqual(3)
    const last = lines.at(-1)
    expect(last).toMatchObject({ opened: 5, stopped: 1, done: true })
    // Once a second, in time order; every client was open by the first report.
    expect(lines[0]?.opened).toBe(5)
    for (let i = 1; i < lines.length; i++)
      expect(lines[i]?.t ?? 0).toBeGreaterThanOrEqual(lines[i - 1]?.t ?? 0)
    expect(lines.filter((line) => line.done === true)).toHaveLength(1)
  })
})

describe('bareClientsArgs', () => {
  it('reads <clients> <seconds> [ramp-seconds] and names the usage when they are wrong', () => {
    expect(bareClientsArgs('100', '30', '5', 'x.ts <n> <s>')).toEqual({
      clients: 100,
      runMs: 30_000,
      rampMs: 5000,
    })
    expect(bareClientsArgs('1', '0.5', undefined, 'x').rampMs).toBe(0)
    expect(() => bareClientsArgs('ten', '30', undefined, 'x.ts <n> <s>')).toThrow(
      'usage: x.ts <n> <s>',
    )
    expect(() => bareClientsArgs('10', undefined, undefined, 'u')).toThrow('usage: u')
  })
})

describe('collectReports', () => {
  it('reads count lines split across chunks and finds the line nearest a time', () => {
    const stdout = new PassThrough()
    const { reports, nearest } = collectReports(stdout)
    stdout.write('{"t":1000,"messages":5}\n{"t":20')
    stdout.write('00,"messages":12}\n{"t":3000,"messages":30,"done":true}\n')
    expect(reports).toHaveLength(3)
    expect(countOf(nearest(2100), 'messages')).toBe(12)
    expect(countOf(nearest(9999), 'messages')).toBe(30)
    expect(countOf(nearest(2100), 'requests')).toBe(0)
  })
})

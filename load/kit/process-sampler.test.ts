import { spawn, type ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ProcessSampler,
  descendants,
  parseStatCpu,
  parseStatTicks,
  parseStatusRssKiB,
  processUsage,
  readTree,
  summariseSamples,
} from './process-sampler.ts'

const children: ChildProcess[] = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
})

/** A Node child that spins (`busy`) or sleeps for `seconds`, then exits. */
function child(kind: 'busy' | 'idle', seconds: number): ChildProcess {
  const code =
    kind === 'busy'
      ? `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) {}`
      : `setTimeout(() => {}, ${seconds * 1000})`
  const spawned = spawn(process.execPath, ['-e', code], { stdio: 'ignore' })
  children.push(spawned)
  return spawned
}

const wait = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms))

describe('process sampling from /proc', () => {
  it('reads utime + stime after a command name holding spaces and parentheses', () => {
    const stat =
      '4242 (node (worker) x) S 1 4242 4242 0 -1 4194304 900 0 0 0 150 25 0 0 20 0 11 0 100 1000 2000'
    expect(parseStatTicks(stat)).toBe(175)
    expect(parseStatCpu(stat)).toEqual({ user: 150, system: 25 })
  })

  it('reads VmRSS in KiB and 0 for a process without one', () => {
    expect(parseStatusRssKiB('Name:\tnode\nVmRSS:\t  123456 kB\nThreads:\t11\n')).toBe(123456)
    expect(parseStatusRssKiB('Name:\tzombie\nState:\tZ\n')).toBe(0)
  })

  it('reads this very process from /proc', () => {
    const tree = readTree(process.pid)
    expect(tree).not.toBeNull()
    expect(tree?.rssKiB).toBeGreaterThan(1024)
    expect(tree?.ticks).toBe((tree?.userTicks ?? 0) + (tree?.systemTicks ?? 0))
    // The same process named twice is counted once.
    expect(readTree([process.pid, process.pid])?.rssKiB).toBeCloseTo(tree?.rssKiB ?? 0, -4)
  })

  it('measures a process of known CPU use: a spinning child near one core, a sleeping one near zero', async () => {
    const busy = child('busy', 3).pid ?? 0
    const idle = child('idle', 3).pid ?? 0
    const busySampler = new ProcessSampler(busy).start(250)
    const idleSampler = new ProcessSampler(idle).start(250)
    await wait(1600)
    busySampler.stop()
    idleSampler.stop()
    const mean = (s: ProcessSampler): number =>
      s.samples.reduce((sum, x) => sum + x.cpuPercent, 0) / s.samples.length
    expect(busySampler.samples.length).toBeGreaterThanOrEqual(4)
    // One spinning thread is ~100 % of a core; a shared 2-core machine may take some of it.
    expect(mean(busySampler)).toBeGreaterThan(60)
    expect(mean(busySampler)).toBeLessThan(140)
    expect(mean(idleSampler)).toBeLessThan(15)
    // The spin is user time; the cumulative reading agrees with the sampler's.
    const usage = processUsage(busy)
    expect(usage.userCpuS).toBeGreaterThan(usage.systemCpuS)
    expect(usage.cpuS).toBeGreaterThan(0.9)
    expect(usage.rssBytes).toBeGreaterThan(1024 * 1024)
  })

  it('follows child processes: a tree sums its descendants', async () => {
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process'); spawn(process.execPath, ['-e', 'const end = Date.now() + 3000; while (Date.now() < end) {}'], { stdio: 'ignore' }); setTimeout(() => {}, 3000)`,
      ],
      { stdio: 'ignore' },
    )
    children.push(parent)
    await wait(300)
    const pids = descendants(parent.pid ?? 0)
    expect(pids.size).toBe(2)
    const sampler = new ProcessSampler(parent.pid ?? 0).start(250)
    await wait(1100)
    sampler.stop()
    for (const pid of pids) if (pid !== parent.pid) process.kill(pid, 'SIGKILL')
    const last = sampler.samples.at(-1)
    // The parent sleeps; its spinning child is what the tree's CPU shows.
    expect(last?.cpuPercent).toBeGreaterThan(60)
  })

  it('summarises the window only, falling back to the last sample when the window is empty', () => {
    const samples = [
      { t: 10, cpuPercent: 200, userPercent: 150, systemPercent: 50, rssMiB: 10 },
      { t: 11, cpuPercent: 20, userPercent: 15, systemPercent: 5, rssMiB: 50 },
      { t: 12, cpuPercent: 40, userPercent: 25, systemPercent: 15, rssMiB: 40 },
    ]
    expect(summariseSamples(samples, 11, 12)).toEqual({
      cpuPercent: 30,
      cpuUserPercent: 20,
      cpuSystemPercent: 10,
      cpuPeakPercent: 40,
      rssMiB: 40,
      rssPeakMiB: 50,
    })
    expect(summariseSamples(samples, 100, 200).rssMiB).toBe(40)
  })
})

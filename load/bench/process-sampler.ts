/**
 * Samples a process tree's CPU and RSS once per second from `/proc/<pid>/stat` and
 * `/proc/<pid>/status` (Linux only; no dependency). Worker threads are in the same pid
 * and counted; child processes are found through `/proc/<pid>/task/<tid>/children`.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

/** One sample of a process tree. */
export interface ProcessSample {
  /** Unix time, seconds with ms precision. */
  t: number
  /** CPU over the last interval, percent of one core. */
  cpuPercent: number
  rssMiB: number
}

/** CPU ticks (user + system) from the text of `/proc/<pid>/stat`. */
export function parseStatTicks(stat: string): number {
  // The command name (field 2) may hold spaces and parentheses: parse after its last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11])
  const stime = Number(rest[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`unexpected /proc stat format: ${stat.slice(0, 80)}`)
  }
  return utime + stime
}

/** `VmRSS` in KiB from the text of `/proc/<pid>/status`; 0 when absent (a zombie). */
export function parseStatusRssKiB(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  return match?.[1] === undefined ? 0 : Number(match[1])
}

let clockTicks: number | undefined
function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

function descendants(pid: number, seen = new Set<number>()): Set<number> {
  if (seen.has(pid) || seen.size > 256) return seen
  seen.add(pid)
  let tasks: string[]
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return seen
  }
  for (const tid of tasks) {
    let children: string
    try {
      children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
    } catch {
      continue
    }
    for (const child of children.split(' ')) {
      if (child.trim() !== '') descendants(Number(child), seen)
    }
  }
  return seen
}

/** Reads the tree's total CPU ticks and RSS now; null when the root process is gone. */
export function readTree(pid: number): { ticks: number; rssKiB: number } | null {
  let ticks = 0
  let rssKiB = 0
  let found = false
  for (const p of descendants(pid)) {
    try {
      ticks += parseStatTicks(readFileSync(`/proc/${p}/stat`, 'utf8'))
      rssKiB += parseStatusRssKiB(readFileSync(`/proc/${p}/status`, 'utf8'))
      if (p === pid) found = true
    } catch {
      // The process exited between listing and reading.
    }
  }
  return found ? { ticks, rssKiB } : null
}

/** Samples one process tree every `intervalMs` until stopped. */
export class ProcessSampler {
  readonly pid: number
  readonly samples: ProcessSample[] = []
  #timer: NodeJS.Timeout | undefined
  #last: { ticks: number; at: number } | undefined

  constructor(pid: number) {
    this.pid = pid
  }

  /** Takes one sample now (also used for the "before clients" reading). */
  sample(): ProcessSample | null {
    const now = performance.timeOrigin + performance.now()
    const tree = readTree(this.pid)
    if (tree === null) return null
    let cpuPercent = 0
    if (this.#last !== undefined && now > this.#last.at) {
      const seconds = (now - this.#last.at) / 1000
      cpuPercent = (100 * (tree.ticks - this.#last.ticks)) / clockTicksPerSecond() / seconds
    }
    const first = this.#last === undefined
    this.#last = { ticks: tree.ticks, at: now }
    const sample = { t: now / 1000, cpuPercent, rssMiB: tree.rssKiB / 1024 }
    if (!first) this.samples.push(sample)
    return sample
  }

  /** Starts sampling once per `intervalMs` (default 1000). */
  start(intervalMs = 1000): this {
    this.sample()
    this.#timer = setInterval(() => this.sample(), intervalMs)
    this.#timer.unref()
    return this
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}

/** Summarises samples whose time falls in `[from, to]` (unix seconds). */
export function summariseSamples(
  samples: readonly ProcessSample[],
  from: number,
  to: number,
): { cpuPercent: number; cpuPeakPercent: number; rssMiB: number; rssPeakMiB: number } {
  const inWindow = samples.filter((s) => s.t >= from && s.t <= to)
  const used = inWindow.length > 0 ? inWindow : samples.slice(-1)
  if (used.length === 0) return { cpuPercent: 0, cpuPeakPercent: 0, rssMiB: 0, rssPeakMiB: 0 }
  const cpu = used.map((s) => s.cpuPercent)
  const rss = used.map((s) => s.rssMiB)
  return {
    cpuPercent: cpu.reduce((a, b) => a + b, 0) / cpu.length,
    cpuPeakPercent: Math.max(...cpu),
    rssMiB: rss.at(-1) ?? 0,
    rssPeakMiB: Math.max(...rss),
  }
}

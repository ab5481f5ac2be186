/**
 * Samples a process tree's CPU and RSS once per second from `/proc/<pid>/stat` and
 * `/proc/<pid>/status` (Linux only; no dependency). Worker threads are in the same pid
 * and counted; child processes are found through `/proc/<pid>/task/<tid>/children`.
 * Several roots (a cluster's processes, several engine processes) are summed in one sample.
 * CPU is split into user and system time: the kernel's socket writes are system time, which
 * every server design pays alike.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'

/** One sample of a process tree. */
export interface ProcessSample {
  /** Unix time, seconds with ms precision. */
  t: number
  /** CPU over the last interval, percent of one core (user + system). */
  cpuPercent: number
  /** User-mode part of {@link cpuPercent}. */
  userPercent: number
  /** Kernel-mode part of {@link cpuPercent}. */
  systemPercent: number
  rssMiB: number
}

/** User and system CPU ticks (`utime`, `stime`) from the text of `/proc/<pid>/stat`. */
export function parseStatCpu(stat: string): { user: number; system: number } {
  // The command name (field 2) may hold spaces and parentheses: parse after its last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(rest[11])
  const stime = Number(rest[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`unexpected /proc stat format: ${stat.slice(0, 80)}`)
  }
  return { user: utime, system: stime }
}

/** CPU ticks (user + system) from the text of `/proc/<pid>/stat`. */
export function parseStatTicks(stat: string): number {
  const { user, system } = parseStatCpu(stat)
  return user + system
}

/** `VmRSS` in KiB from the text of `/proc/<pid>/status`; 0 when absent (a zombie). */
export function parseStatusRssKiB(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  return match?.[1] === undefined ? 0 : Number(match[1])
}

let clockTicks: number | undefined
/** Kernel clock ticks per second for `/proc/<pid>/stat` (`getconf CLK_TCK`; 100 if unknown). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/** CPU time and RSS one process has used so far (all its threads; no child processes). */
export interface ProcessUsage {
  /** User + system CPU, seconds. */
  cpuS: number
  userCpuS: number
  /** The kernel's part of `cpuS`: socket writes land here. */
  systemCpuS: number
  rssBytes: number
}

/** Reads one process's CPU seconds and RSS now; throws when the process is gone. */
export function processUsage(pid: number): ProcessUsage {
  const cpu = parseStatCpu(readFileSync(`/proc/${String(pid)}/stat`, 'utf8'))
  const perTick = 1 / clockTicksPerSecond()
  return {
    cpuS: (cpu.user + cpu.system) * perTick,
    userCpuS: cpu.user * perTick,
    systemCpuS: cpu.system * perTick,
    rssBytes: parseStatusRssKiB(readFileSync(`/proc/${String(pid)}/status`, 'utf8')) * 1024,
  }
}

/** What a process (and the server beside it) used over a measured window. */
export interface UsageWindow {
  /** CPU seconds of the measured process (user + system). */
  cpuS: number
  /** The kernel's part of `cpuS`. */
  systemCpuS: number
  /** CPU seconds of the server in the same window: who saturates first. */
  serverCpuS: number
  /** Peak RSS of the measured process, sampled every 500 ms. */
  peakRssBytes: number
  /** When the first and the last readings were taken, unix ms. */
  fromMs: number
  toMs: number
}

/**
 * Waits until `fromMs`, then reads the process and the server until `toMs` (RSS every
 * 500 ms); the CPU figures are the differences between the first and the last readings.
 */
export async function measureWindow(
  pid: number,
  serverPid: number,
  fromMs: number,
  toMs: number,
): Promise<UsageWindow> {
  const wait = (ms: number): Promise<void> =>
    new Promise((done) => setTimeout(done, Math.max(0, ms)))
  await wait(fromMs - Date.now())
  const start = processUsage(pid)
  const serverStart = processUsage(serverPid)
  const startedAt = Date.now()
  let peak = start.rssBytes
  while (Date.now() < toMs) {
    await wait(Math.min(500, toMs - Date.now()))
    peak = Math.max(peak, processUsage(pid).rssBytes)
  }
  const end = processUsage(pid)
  const serverEnd = processUsage(serverPid)
  return {
    cpuS: end.cpuS - start.cpuS,
    systemCpuS: end.systemCpuS - start.systemCpuS,
    serverCpuS: serverEnd.cpuS - serverStart.cpuS,
    peakRssBytes: peak,
    fromMs: startedAt,
    toMs: Date.now(),
  }
}

/** The resident set of process `pid` in MiB, from /proc; NaN once it has gone. */
export function rssMiB(pid: number): number {
  try {
    return processUsage(pid).rssBytes / 2 ** 20
  } catch {
    return Number.NaN
  }
}

/** `pid` and every process below it (at most 257), from `/proc/<pid>/task/<tid>/children`. */
export function descendants(pid: number, seen = new Set<number>()): Set<number> {
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

/** CPU ticks and RSS of a process tree (or of several, summed). */
export interface TreeReading {
  ticks: number
  userTicks: number
  systemTicks: number
  rssKiB: number
}

/**
 * Reads the trees' total CPU ticks and RSS now; null when every root process is gone.
 * A process that is in two trees is counted once.
 */
export function readTree(pids: number | readonly number[]): TreeReading | null {
  const roots = typeof pids === 'number' ? [pids] : pids
  const seen = new Set<number>()
  for (const root of roots) descendants(root, seen)
  const reading = { ticks: 0, userTicks: 0, systemTicks: 0, rssKiB: 0 }
  let found = false
  for (const p of seen) {
    try {
      const cpu = parseStatCpu(readFileSync(`/proc/${p}/stat`, 'utf8'))
      reading.userTicks += cpu.user
      reading.systemTicks += cpu.system
      reading.ticks += cpu.user + cpu.system
      reading.rssKiB += parseStatusRssKiB(readFileSync(`/proc/${p}/status`, 'utf8'))
      if (roots.includes(p)) found = true
    } catch {
      // The process exited between listing and reading.
    }
  }
  return found ? reading : null
}

/** Samples one process tree (or several, summed) every `intervalMs` until stopped. */
export class ProcessSampler {
  /** The root processes. */
  readonly pids: readonly number[]
  readonly samples: ProcessSample[] = []
  #timer: NodeJS.Timeout | undefined
  #last: { ticks: number; user: number; system: number; at: number } | undefined

  constructor(pid: number | readonly number[]) {
    this.pids = typeof pid === 'number' ? [pid] : [...pid]
  }

  /** The first root process. */
  get pid(): number {
    return this.pids[0] ?? 0
  }

  /** Takes one sample now (also used for the "before clients" reading). */
  sample(): ProcessSample | null {
    const now = performance.timeOrigin + performance.now()
    const tree = readTree(this.pids)
    if (tree === null) return null
    let cpuPercent = 0
    let userPercent = 0
    let systemPercent = 0
    if (this.#last !== undefined && now > this.#last.at) {
      const perTick = 100 / clockTicksPerSecond() / ((now - this.#last.at) / 1000)
      cpuPercent = (tree.ticks - this.#last.ticks) * perTick
      userPercent = (tree.userTicks - this.#last.user) * perTick
      systemPercent = (tree.systemTicks - this.#last.system) * perTick
    }
    const first = this.#last === undefined
    this.#last = { ticks: tree.ticks, user: tree.userTicks, system: tree.systemTicks, at: now }
    const sample = {
      t: now / 1000,
      cpuPercent,
      userPercent,
      systemPercent,
      rssMiB: tree.rssKiB / 1024,
    }
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

/** CPU and RSS of a process (tree) over a window. */
export interface WindowSummary {
  /** Mean CPU, percent of one core. */
  cpuPercent: number
  /** Mean user-mode CPU, percent of one core. */
  cpuUserPercent: number
  /** Mean kernel-mode CPU, percent of one core. */
  cpuSystemPercent: number
  cpuPeakPercent: number
  rssMiB: number
  rssPeakMiB: number
}

/** Summarises samples whose time falls in `[from, to]` (unix seconds). */
export function summariseSamples(
  samples: readonly ProcessSample[],
  from: number,
  to: number,
): WindowSummary {
  const inWindow = samples.filter((s) => s.t >= from && s.t <= to)
  const used = inWindow.length > 0 ? inWindow : samples.slice(-1)
  if (used.length === 0) {
    return {
      cpuPercent: 0,
      cpuUserPercent: 0,
      cpuSystemPercent: 0,
      cpuPeakPercent: 0,
      rssMiB: 0,
      rssPeakMiB: 0,
    }
  }
  const mean = (pick: (s: ProcessSample) => number): number =>
    used.reduce((sum, s) => sum + pick(s), 0) / used.length
  const rss = used.map((s) => s.rssMiB)
  return {
    cpuPercent: mean((s) => s.cpuPercent),
    cpuUserPercent: mean((s) => s.userPercent),
    cpuSystemPercent: mean((s) => s.systemPercent),
    cpuPeakPercent: Math.max(...used.map((s) => s.cpuPercent)),
    rssMiB: rss.at(-1) ?? 0,
    rssPeakMiB: Math.max(...rss),
  }
}

/**
 * What `run.json` records about the machine and the software that produced a run.
 */
import { execFileSync } from 'node:child_process'
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from 'node:os'

/** The machine a run ran on. */
export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGiB: number
  kernel: string
  /** Load average over the last minute when the run started: other work on a shared machine. */
  loadAverage1m: number
}

/** Versions of everything that ran. */
export interface VersionInfo {
  node: string
  /** `load/engine` version line, or null when it does not report one. */
  engine: string | null
  /** `k6 version`, or null when k6 is not on PATH. */
  k6: string | null
  gitSha: string | null
  /** True when tracked files had uncommitted changes. */
  gitDirty: boolean | null
}

function run(command: string, args: readonly string[], cwd: string): string | null {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return null
  }
}

/** Reads the machine's CPU, cores, memory and kernel. */
export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${osType()} ${release()}`,
    loadAverage1m: loadavg()[0] ?? 0,
  }
}

/** "2 cores, AMD EPYC 7B13, 23.5 GiB" — the report's machine label. */
export function machineLabel(machine: MachineInfo, note?: string): string {
  const base = `${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.kernel}`
  return note === undefined || note === '' ? base : `${base} (${note})`
}

/** Node, engine, k6 and git versions. */
export function versionInfo(root: string): VersionInfo {
  const status = run('git', ['status', '--porcelain', '--untracked-files=no'], root)
  return {
    node: process.version,
    engine: run(process.execPath, ['load/engine/cli.ts', 'version'], root)?.split('\n')[0] ?? null,
    k6: run('k6', ['version'], root)?.split('\n')[0] ?? null,
    gitSha: run('git', ['rev-parse', 'HEAD'], root),
    gitDirty: status === null ? null : status !== '',
  }
}

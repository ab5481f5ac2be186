/**
 * What `run.json` records about the machine and the software that produced a run.
 */
import { execFileSync } from 'node:child_process'
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from 'node:os'
import type { K6Binary } from '../engine/k6-binary.ts'

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

/**
 * Node, engine, k6 and git versions.
 * @param k6 what `k6 version` said (`probeK6`), read once for the engine choice and this record
 */
export function versionInfo(root: string, k6: K6Binary | undefined): VersionInfo {
  const status = run('git', ['status', '--porcelain', '--untracked-files=no'], root)
  return {
    node: process.version,
    engine: run(process.execPath, ['load/engine/cli.ts', 'version'], root)?.split('\n')[0] ?? null,
    k6: k6 === undefined || k6.version === null ? null : k6.versionLine,
    gitSha: run('git', ['rev-parse', 'HEAD'], root),
    gitDirty: status === null ? null : status !== '',
  }
}

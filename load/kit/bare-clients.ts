/**
 * The harness of a bare-client process, the baseline of the engine's perf scripts: it opens
 * `clients` connections evenly over the ramp (as ramping-vus opens VUs: all at once would
 * overflow the server's accept backlog), prints its running counts as one JSON line a second
 * (`{"t", …counts}`) so the parent can cut its steady window, and after `seconds` prints a
 * last line with `done: true` and exits. The clients themselves are the engine's own wire
 * clients or the libraries they are measured against; the harness is what they share.
 */

import { spawnNode, type Child } from './child-process.ts'

/** What a bare-client process runs. */
export interface BareClientsPlan {
  clients: number
  /** The ramp over which the clients open, ms (0: all at once). */
  rampMs: number
  /** How long the process runs from its start, ms. */
  runMs: number
  /** Opens client number `index`. */
  open: (index: number) => void
  /** The running counts to report, e.g. `{ messages }`. */
  counts: () => Record<string, number>
  /** Closes every client before the last report (optional). */
  stop?: () => void
  /** Where the lines go; default stdout. */
  write?: (line: string) => void
}

/** Runs the plan: the process exits after the last line. */
export function runBareClients(plan: BareClientsPlan): void {
  const write = plan.write ?? ((line: string) => process.stdout.write(line))
  for (let i = 0; i < plan.clients; i++)
    setTimeout(
      () => {
        plan.open(i)
      },
      (plan.rampMs * i) / plan.clients,
    )
  const reporter = setInterval(() => {
    write(`${JSON.stringify({ t: Date.now(), ...plan.counts() })}\n`)
  }, 1000)
  setTimeout(() => {
    clearInterval(reporter)
    plan.stop?.()
    write(`${JSON.stringify({ t: Date.now(), ...plan.counts(), done: true })}\n`)
    process.exit(0)
  }, plan.runMs)
}

/** `<clients> <seconds> [ramp-seconds]` of a bare-client script's command line, checked. */
export function bareClientsArgs(
  clientsText: string | undefined,
  secondsText: string | undefined,
  rampText: string | undefined,
  usage: string,
): { clients: number; runMs: number; rampMs: number } {
  const clients = Number(clientsText)
  const seconds = Number(secondsText)
  const ramp = Number(rampText ?? '0')
  if (!Number.isInteger(clients) || clients < 1 || !(seconds > 0) || !(ramp >= 0))
    throw new Error(`usage: ${usage}`)
  return { clients, runMs: seconds * 1000, rampMs: ramp * 1000 }
}

/** One count line of a bare-client process. */
export interface BareClientsReport {
  t: number
  [count: string]: number | boolean
}

/**
 * The parent's side: collects a bare-client child's count lines from its stdout, and finds
 * the line nearest a time (the ends of a measured window).
 */
export function collectReports(stdout: NodeJS.ReadableStream): {
  reports: BareClientsReport[]
  nearest: (ms: number) => BareClientsReport
} {
  const reports: BareClientsReport[] = []
  let buffered = ''
  stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split('\n')
    buffered = lines.pop() ?? ''
    for (const line of lines) if (line !== '') reports.push(JSON.parse(line) as BareClientsReport)
  })
  return {
    reports,
    nearest: (ms) =>
      reports.reduce(
        (best, r) => (Math.abs(r.t - ms) < Math.abs(best.t - ms) ? r : best),
        reports[0] ?? { t: 0 },
      ),
  }
}

/** A count of a report, 0 when the line lacks it. */
export function countOf(report: BareClientsReport, name: string): number {
  const value = report[name]
  return typeof value === 'number' ? value : 0
}

/**
 * Starts a bare-client script (`node <script> ...args`) as a registered child whose count
 * lines are collected; its stderr is kept for error messages.
 */
export function startBareClients(
  script: string,
  args: readonly string[],
): { child: Child; nearest: (ms: number) => BareClientsReport } {
  const child = spawnNode([script, ...args], process.cwd())
  if (child.process.stdout === null) throw new Error(`${script}: no stdout`)
  const { nearest } = collectReports(child.process.stdout)
  return { child, nearest }
}

/**
 * The servers' log: one JSON line per event on stderr (pino), pretty lines when stderr is a
 * terminal. Events carry what an operator filters on: `handler` (which listener), `peer`
 * (the client's address), `code` (the fault code of `errors.ts`, or `internal` for a bug).
 * Only faults and bugs are logged, never the frames of the hot path.
 */
import { pino, type DestinationStream, type Logger } from 'pino'

/** The server's logger. */
export type ServerLog = Logger

/**
 * A logger writing JSON lines to `destination` (default: stderr), or pretty lines through
 * pino-pretty when `pretty` (default: stderr is a terminal and no destination is given).
 */
export function createLog(
  options: { destination?: DestinationStream; pretty?: boolean } = {},
): ServerLog {
  const pretty = options.pretty ?? (options.destination === undefined && process.stderr.isTTY)
  const base = { base: null, messageKey: 'msg' }
  if (options.destination !== undefined) return pino(base, options.destination)
  if (pretty)
    return pino(base, pino.transport({ target: 'pino-pretty', options: { destination: 2 } }))
  return pino(base, pino.destination({ dest: 2, sync: true }))
}

/** One event of a {@link memoryLog}: the logged fields, `level` as pino's number, `msg`. */
export type LoggedEvent = Record<string, unknown> & { level: number; msg: string }

/** A logger that keeps every event in `events` (tests, and embedding the server in a tool). */
export function memoryLog(): { log: ServerLog; events: LoggedEvent[] } {
  const events: LoggedEvent[] = []
  const log = createLog({
    destination: {
      write(line: string) {
        events.push(JSON.parse(line) as LoggedEvent)
      },
    },
  })
  return { log, events }
}

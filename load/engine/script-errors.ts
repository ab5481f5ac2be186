/**
 * Iteration errors of a script, printed like k6 prints them. Its own module so that the VU
 * runner, the worker and the modules that run script callbacks can all report without
 * importing one another.
 */

/** Iteration errors already printed, per message (k6 prints them all; thousands of VUs would flood). */
const printedErrors = new Map<string, number>()
const PRINT_LIMIT = 3

/** Prints an iteration error like k6 (`ERRO[…] <message>`), a few times per message. */
export function printScriptError(error: unknown, vuId: number): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error)
  const seen = printedErrors.get(text) ?? 0
  printedErrors.set(text, seen + 1)
  if (seen < PRINT_LIMIT) process.stderr.write(`ERRO[VU ${vuId}] ${text}\n`)
  else if (seen === PRINT_LIMIT)
    process.stderr.write(`ERRO (repeated errors of this kind are no longer printed)\n`)
}

/**
 * The fuzz loop shared by the test suite and `npm run fuzz`: fast-check generates batches of
 * connection inputs ({@link connectionInput}), each batch is sent to every target at once
 * over raw connections, then every target's invariants are checked. A failing batch names
 * its inputs; fast-check then shrinks it and reports the seed to replay it.
 */
import fc from 'fast-check'
import { fuzzInput } from './http-grammar.ts'
import { sendRaw, type FuzzTarget } from './fuzz-target.ts'

/** How a fuzz run is bounded and reported. */
export interface FuzzOptions {
  /** Connections per batch (fixed, so that a run's case count is batches × this). */
  readonly batchSize: number
  /** Batches to run at most. */
  readonly numRuns: number
  /** Stop generating after this long, ms (what has run counts as passed). */
  readonly timeLimitMs?: number
  /** Replays a run. */
  readonly seed?: number
  /** Called after every batch with the cases sent so far. */
  readonly onBatch?: (cases: number) => void
}

/** The outcome: cases sent, and the failure report (null when every batch passed). */
export interface FuzzResult {
  readonly cases: number
  readonly seed: number
  readonly failure: string | null
}

/** Shows an input so that control characters stay visible and long ones stay readable. */
export function showInput(input: string | Buffer): string {
  // Bytes (a WebSocket session) are shown as latin1, so each byte is one visible character.
  const shown = JSON.stringify(typeof input === 'string' ? input : input.toString('latin1'))
  return shown.length > 400 ? `${shown.slice(0, 400)}… (${String(input.length)} chars)` : shown
}

/** Runs the fuzz loop against `targets`. */
export async function runFuzz(
  targets: readonly FuzzTarget[],
  options: FuzzOptions,
): Promise<FuzzResult> {
  let cases = 0
  const state: { first: string | null; dead: boolean } = {
    // The first failure as it happened, before fast-check shrinks it.
    first: null,
    // A target that died cannot tell a smaller input from a larger one: shrinking stops there.
    dead: false,
  }
  const property = fc.asyncProperty(
    fc.array(fuzzInput, { minLength: options.batchSize, maxLength: options.batchSize }),
    async (inputs) => {
      if (state.dead) return
      const problems: string[] = []
      for (const target of targets) {
        const replies = await Promise.all(inputs.map((input) => sendRaw(target.port, input)))
        replies.forEach((reply, index) => {
          if (reply.statuses.includes(500)) {
            problems.push(`${target.name}: 500 for ${showInput(inputs[index] ?? '')}`)
          }
        })
        const checked = await target.check()
        state.dead ||= checked.dead
        problems.push(...checked.problems)
      }
      cases += inputs.length
      options.onBatch?.(cases)
      if (problems.length > 0) {
        const report = `${problems.join('\n')}\nin the batch:\n${inputs.map((input) => `  ${showInput(input)}`).join('\n')}`
        state.first ??= report
        throw new Error(report)
      }
    },
  )
  const details = await fc.check(property, {
    numRuns: options.numRuns,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.timeLimitMs === undefined
      ? {}
      : { plugins: [fc.interruptAfterTimeLimit(options.timeLimitMs)] }),
  })
  const shrunk = (details.counterexample as [(string | Buffer)[]] | null)?.[0]
  return {
    cases,
    seed: details.seed,
    failure: !details.failed
      ? null
      : [
          `first failure (seed ${String(details.seed)}, after ${String(details.numRuns)} batch(es)):`,
          state.first ?? String(details.errorInstance),
          ...(shrunk === undefined || state.dead
            ? []
            : ['shrunk to:', ...shrunk.map((input) => `  ${showInput(input)}`)]),
        ].join('\n'),
  }
}

/** `k6`: check, group, fail; `sleep` refuses, naming the event-loop replacement. */
import type { VuContext } from '../vu-context.ts'
import { ScriptMisuseError } from '../vu-context.ts'

/** Builds the `k6` module of one VU. */
export function createK6Module(vu: VuContext): Record<string, unknown> {
  const checks = vu.metric('checks', 'rate')
  const module = {
    check(
      value: unknown,
      sets: Record<string, (v: unknown) => unknown>,
      tags?: Record<string, string>,
    ): boolean {
      let all = true
      for (const [name, predicate] of Object.entries(sets)) {
        let passed: boolean
        try {
          passed = Boolean(predicate(value))
        } catch {
          passed = false
        }
        vu.series(checks, { ...tags, check: name }).add(passed ? 1 : 0)
        all &&= passed
      }
      return all
    },
    group<T>(_name: string, body: () => T): T {
      return body()
    },
    fail(message?: string): never {
      throw new Error(message ?? 'fail() called')
    },
    sleep(): never {
      throw new ScriptMisuseError(
        'sleep() blocks the VU and the built-in engine runs event-loop scripts only: use `await new Promise((resolve) => setTimeout(resolve, ms))` with setTimeout from k6/timers',
      )
    },
    randomSeed(): void {
      // Math.random is not seedable in Node; accepted so scripts written for k6 still load.
    },
  }
  return { ...module, default: module }
}

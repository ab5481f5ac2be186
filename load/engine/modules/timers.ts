/** `k6/timers`: the event loop's timers (Node's, which k6's mirror). */

const timersModule: Record<string, unknown> = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
}
timersModule['default'] = timersModule

/** The `k6/timers` module (one object for every VU: timers hold no VU state). */
export function createTimersModule(): Record<string, unknown> {
  return timersModule
}

/** `k6/timers`: the event loop's timers (Node's, which k6's mirror). */

/** Builds the `k6/timers` module (the same for every VU). */
export function createTimersModule(): Record<string, unknown> {
  const module = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    clearInterval: globalThis.clearInterval,
  }
  return { ...module, default: module }
}

/**
 * Graceful stop of a CLI process on SIGINT or SIGTERM, shared by `serve`, the ticker role,
 * the cluster launcher and the baseline server.
 */

/** The signals a process stops on. */
export type StopSignal = 'SIGINT' | 'SIGTERM'

/**
 * On the first SIGINT or SIGTERM: logs `<signal>: <announce>` (when given), awaits
 * `stop(signal)`, then exits 0, or 1 after logging the error when stopping failed.
 * A second signal while stopping is ignored.
 *
 * @param announce what the process does now, e.g. `closing clients`; a function is read at
 * signal time (for state such as the last seq).
 */
export function stopOnSignals(
  stop: (signal: StopSignal) => Promise<void> | void,
  announce?: string | (() => string),
): void {
  let stopping = false
  const onSignal = (signal: StopSignal): void => {
    if (stopping) return
    stopping = true
    if (announce !== undefined) {
      console.log(`${signal}: ${typeof announce === 'string' ? announce : announce()}`)
    }
    Promise.resolve()
      .then(() => stop(signal))
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error)
          process.exit(1)
        },
      )
  }
  process.once('SIGINT', () => {
    onSignal('SIGINT')
  })
  process.once('SIGTERM', () => {
    onSignal('SIGTERM')
  })
}

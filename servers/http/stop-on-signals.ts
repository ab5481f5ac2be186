/**
 * Graceful stop of a CLI process on SIGINT or SIGTERM, shared by `serve`, the ticker role,
 * the cluster launcher and the baseline server; and when the process's parent exits, which
 * is what a process manager's SIGTERM to `npm start` amounts to: npm exits at once without
 * passing the signal on, and its `sh -c` with it, leaving the server running with its port.
 */

/** The signals a process stops on. */
export type StopSignal = 'SIGINT' | 'SIGTERM'

/** How often {@link watchParent} looks at the parent pid, ms. */
export const PARENT_CHECK_MS = 250

/**
 * Calls `onGone` once, within {@link PARENT_CHECK_MS}, after this process's parent exits
 * (the process is re-parented, so its parent pid changes). The timer does not keep the
 * process alive.
 */
export function watchParent(onGone: () => void): void {
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid === parent) return
    clearInterval(timer)
    onGone()
  }, PARENT_CHECK_MS)
  timer.unref()
}

/**
 * On the first SIGINT or SIGTERM, or when the parent process exits (taken as SIGTERM:
 * whoever started it wants it gone): logs `<signal>: <announce>` (when given), awaits
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
  const onSignal = (signal: StopSignal, why = ''): void => {
    if (stopping) return
    stopping = true
    if (announce !== undefined) {
      console.log(`${signal}${why}: ${typeof announce === 'string' ? announce : announce()}`)
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
  watchParent(() => {
    onSignal('SIGTERM', ' (the parent process exited)')
  })
}

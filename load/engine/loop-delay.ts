/**
 * How late a thread's event loop runs what is due: the engine's saturation signal
 * (`engine_event_loop_delay_p99`). Each thread (main and workers) keeps one probe and reads
 * it once per second.
 *
 * Node's `monitorEventLoopDelay` records the interval between the fires of a repeating
 * timer, so an idle loop reads its resolution; the probe reports that interval minus the
 * resolution, the time the timer waited past its due moment, so an idle loop reads about 0
 * and a loop blocked for 200 ms about 200.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'

/**
 * Interval of the probe's timer, ms. Every fire wakes an idle thread: at 10 ms the three
 * threads of a 2-core run woke 300 times a second between messages, a fixed cost that
 * weighs most at low message rates; at 50 ms a one-second read is the worst of 20 samples,
 * fine enough for a signal the bench compares to 100 ms.
 */
export const LOOP_DELAY_RESOLUTION_MS = 50

/** One thread's event-loop delay since the last {@link LoopDelayProbe.reset}. */
export interface LoopDelayProbe {
  /** p99 of how late the timer fired, ms (≥ 0). */
  p99Ms(): number
  /** Starts a new period. */
  reset(): void
  /** Stops the timer (the thread can then exit). */
  stop(): void
}

/** Starts a probe on the calling thread. */
export function startLoopDelayProbe(): LoopDelayProbe {
  const histogram = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS })
  histogram.enable()
  return {
    p99Ms: () => Math.max(0, histogram.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS),
    reset: () => {
      histogram.reset()
    },
    stop: () => {
      histogram.disable()
    },
  }
}

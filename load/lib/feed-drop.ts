/**
 * Time to recover after a dropped connection (`feed_recovery`): a sample of the clients
 * drops its connection once in the middle of the steady window and resumes from its cursor
 * at once, as a client that noticed the drop would. Recovery runs from the drop to the first
 * frame the resumed connection delivers — from that frame's making instead, when it was made
 * after the drop, so that the wait for the feed's next tick does not count: on a fast link a
 * resumed connection is ready before the next frame, and recovery is that frame's delivery.
 * The tracker counts any frame the resume missed as a gap, so a recovery is only clean when
 * the step has none. Over an emulated link the relay adds the TCP handshake's round trip to
 * every new connection (relay.ts, `handshake`).
 *
 * How each protocol drops (k6 can neither pull a cable nor close an idle keep-alive
 * connection, so each drop is the nearest the script can do):
 * - WebSocket: the socket is closed and a new one opened at once, without waiting for the
 *   close handshake (a client that detected a dead link does not wait for it either);
 * - SSE: the stream is closed at the first event at or after the drop time, then reopened
 *   with `Last-Event-ID`;
 * - long polling: the poll outstanding at the drop time is cut there (its timeout ends at the
 *   drop, which closes its connection) and the next poll goes out at once, on a new
 *   connection, with the cursor;
 * - short polling: the drop falls just after a reply, when the connection is idle; the client
 *   learns of it only at its next poll, so recovery includes the wait for that poll (on the
 *   kept-alive connection: the new connection's handshake is the one cost not counted). Its
 *   next poll's frames waited for it as every short poll's do: they stay in `feed_latency`.
 *
 * Frames the resumed connection replays (made before it opened) are not delivery latency:
 * {@link markResumed} keeps them out of `feed_latency`, and recovery measures them instead.
 */
import exec from 'k6/execution'
import type { FeedTracker } from './feed-reader.ts'
import type { ConnectionPlan } from './feed-options.ts'

/** One VU in this many drops once: VU 6, 26, 46, … (never one of the pinging VUs). */
export const DROP_EVERY_NTH_VU = 20
/** Offset within each {@link DROP_EVERY_NTH_VU}: keeps the sample off feed-ping's (1, 51, …). */
const DROP_OFFSET = 5
/** The drops spread over this share of the steady window, centred in it. */
const DROP_SPREAD = 0.4

/**
 * When this VU drops its connection, unix ms; `Infinity` for a VU outside the sample.
 * The sample's drops spread over the middle of the steady window (a golden-ratio sequence,
 * so that any number of VUs covers it evenly and no two drop together).
 */
export function dropTime(plan: ConnectionPlan): number {
  const index = exec.vu.idInTest - 1
  if (index % DROP_EVERY_NTH_VU !== DROP_OFFSET) return Infinity
  const k = Math.floor(index / DROP_EVERY_NTH_VU)
  const share = 0.5 - DROP_SPREAD / 2 + DROP_SPREAD * ((k * 0.6180339887) % 1)
  return plan.steadyFrom + (plan.until - plan.steadyFrom) * share
}

/** Records that the tracker's connection dropped at `at` (unix ms): recovery runs from here. */
export function markDropped(tracker: FeedTracker, at: number): void {
  tracker.droppedAt = at
}

/**
 * Records that a new connection (or, for a poll, the first request after a drop) went out
 * at `at`: frames made before it are replays, kept out of `feed_latency`.
 */
export function markResumed(tracker: FeedTracker, at: number): void {
  tracker.replayBefore = at
}

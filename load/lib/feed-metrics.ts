/**
 * The custom metrics every feed scenario reports, tagged by `protocol`.
 * Created once in the init context, as k6 requires.
 */
import { Counter, Trend } from 'k6/metrics'

/** Delivery latency in ms: receive time − the frame's server `t`; steady window only. */
export const feedLatency = new Trend('feed_latency', true)
/** Frames received (snapshots and frames). */
export const feedFrames = new Counter('feed_frames')
/** Frames missed: jumps in `seq` that no `reset` announced. */
export const feedGaps = new Counter('feed_gaps')
/** `reset` messages received (the resume point could not be served). */
export const feedResets = new Counter('feed_resets')
/** Time from opening the connection to its first byte of feed, ms. */
export const feedConnect = new Trend('feed_connect', true)
/**
 * Upstream round trip, ms: a client's `ping` to its `pong` — over the socket for WebSocket,
 * a `POST /api/ping` for the others; steady window only, from a sample of the clients.
 */
export const feedPing = new Trend('feed_ping', true)
/**
 * Time to recover after a dropped connection, ms: from a planned drop (or from the making of
 * the first frame after it, when that came later) to that frame's arrival on the resumed
 * connection; from a sample of the clients (feed-drop.ts).
 */
export const feedRecovery = new Trend('feed_recovery', true)

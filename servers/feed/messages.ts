/**
 * The wire format shared by every transport, the load scripts and the site. It names no
 * protocol: the protocol table is `servers/transports/protocols.ts`.
 * Every message is one JSON object; see DESIGN.md, "The feed".
 *
 * This module holds types and constants only: no I/O, no encoding.
 */

/** Why a resume point could not be served from history. */
export type ResetReason = 'expired' | 'unknown-epoch' | 'ahead'

/** A sprite bouncing in the 400×400 box (seed 000's animation). */
export interface Sprite {
  /** Stable index, 0-based. */
  id: number
  x: number
  y: number
  vx: number
  vy: number
}

/** One of seed 004's scored events (`EVENT#00`…). */
export interface ScoredEvent {
  /** `EVENT#00`, `EVENT#01`, … */
  id: string
  name: string
  score: number
  /** `seq` of the frame in which the score last changed. */
  updatedSeq: number
}

/** Fields every feed frame carries. */
export interface FeedState {
  /** Names the history; changes only when history is lost. */
  epoch: string
  /** Increases by exactly 1 per tick. */
  seq: number
  /** Server wall clock at send time, ms with sub-ms precision. */
  t: number
  sprites: Sprite[]
}

/** First message of every connection or poll cycle without a cursor: the full state. */
export interface SnapshotMessage extends FeedState {
  type: 'snapshot'
  events: ScoredEvent[]
}

/** One tick: all sprites, only the events that changed in this tick. */
export interface FrameMessage extends FeedState {
  type: 'frame'
  events: ScoredEvent[]
  /** Filler for size studies (`--pad`). */
  pad?: string
}

/** The cursor a client sent cannot be served from history; a snapshot follows. */
export interface ResetMessage {
  type: 'reset'
  epoch: string
  seq: number
  reason: ResetReason
}

/** Answer to a client `ping`. */
export interface PongMessage {
  type: 'pong'
  id: string | number
  t: number
}

/** Bad client input; the connection stays usable where the protocol allows. */
export interface ErrorMessage {
  type: 'error'
  code: string
  message: string
}

/** Any message a server sends. */
export type ServerMessage =
  SnapshotMessage | FrameMessage | ResetMessage | PongMessage | ErrorMessage

/** Client → server: measure a round trip. */
export interface PingMessage {
  type: 'ping'
  id: string | number
}

/**
 * Client → server: pause (`stop`) or resume (`start`) delivery; resuming replays what was
 * missed. `drop` asks the server to cut this connection abruptly, with no close handshake, as
 * a network failure would — to watch reconnect and resume (WebSocket and SSE; a poll has no
 * standing connection to cut).
 */
export interface ControlMessage {
  type: 'control'
  action: 'start' | 'stop' | 'drop'
}

/** Any message a client sends. */
export type ClientMessage = PingMessage | ControlMessage

/** Body of every poll reply (long and short). */
export interface PollReply {
  epoch: string
  /** The cursor to send as `since` on the next poll. */
  next: number
  messages: ServerMessage[]
  /** The poll session, present when the poll asked for one (`session=new` or an id). */
  session?: string
}

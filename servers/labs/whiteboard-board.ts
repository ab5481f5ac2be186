/**
 * One shared whiteboard. Ordering rule: the server gives every operation (stroke, clear)
 * the board's next sequence number and fans it out in that order; every client applies
 * operations in `seq` order, so all clients — and a late joiner, who gets the board as
 * of a `seq` and then every later operation — end with the same board.
 *
 * Like a chat room, a board remembers a bounded window of stroke ids per user, so a client
 * that resends a stroke it never saw come back (after a reconnect) does not get it drawn
 * twice: the resend is answered with a duplicate `ack` to that client alone.
 */
import type { LabPeer } from './lab-peer.ts'
import { PreparedMessage } from './prepared-message.ts'

/** One stroke as the board stores it and clients draw it. */
export interface Stroke {
  readonly seq: number
  /** The client's id for the stroke. */
  readonly id: string
  readonly user: string
  /** CSS hex colour, `#rrggbb`. */
  readonly color: string
  /** Line width in board units. */
  readonly width: number
  /** `[x, y]` points in board units. */
  readonly points: readonly (readonly [number, number])[]
}

/** A new stroke before the board numbers it. */
export type StrokeInput = Omit<Stroke, 'seq'>

/** What {@link WhiteboardBoard.stroke} did. */
export interface StrokeResult {
  /** The stroke's `seq`: new, or the first drawing's for a duplicate. */
  readonly seq: number
  /** True when this user's stroke id was seen before: not stored or sent again. */
  readonly duplicate: boolean
}

/** One named whiteboard: its members, its strokes since the last clear, its sequence. */
export class WhiteboardBoard {
  readonly name: string
  readonly #members = new Map<LabPeer, string>()
  readonly #strokes: Stroke[] = []
  // `user\nid` → seq; insertion-ordered, so the oldest id is evicted first when full.
  // Kept across clears: a stroke drawn before a clear and resent after it stays gone.
  readonly #seenIds = new Map<string, number>()
  readonly #dedupWindow: number
  #seq = 0

  /** @param dedupWindow stroke ids remembered to drop resent strokes (`dedupWindow`, 4096) */
  constructor(name: string, dedupWindow: number) {
    this.name = name
    this.#dedupWindow = dedupWindow
  }

  /** Members on the board. */
  get size(): number {
    return this.#members.size
  }

  /** Strokes since the last clear, in `seq` order. */
  get strokes(): readonly Stroke[] {
    return this.#strokes
  }

  /** The sequence number of the last operation (0 before any). */
  get seq(): number {
    return this.#seq
  }

  /** Member names. */
  get users(): string[] {
    return [...this.#members.values()]
  }

  /** Adds a member and sends it the board as of now. */
  join(peer: LabPeer, user: string): void {
    this.#members.set(peer, user)
    peer.send(new PreparedMessage(this.state()))
    this.#fanOut({ type: 'presence', room: this.name, event: 'join', user, users: this.size })
  }

  /** Removes a member. */
  leave(peer: LabPeer): void {
    const user = this.#members.get(peer)
    if (user === undefined) return
    this.#members.delete(peer)
    this.#fanOut({ type: 'presence', room: this.name, event: 'leave', user, users: this.size })
  }

  /**
   * Numbers a stroke, stores it and sends it to every member (the sender too). A stroke id
   * this user sent before is not drawn again: `from` alone gets
   * `{"type":"ack","room","id","seq","duplicate":true}` with the first drawing's `seq`.
   */
  stroke(input: StrokeInput, from?: LabPeer): StrokeResult {
    const key = `${input.user}\n${input.id}`
    const seen = this.#seenIds.get(key)
    if (seen !== undefined) {
      from?.send(
        new PreparedMessage({
          type: 'ack',
          room: this.name,
          id: input.id,
          seq: seen,
          duplicate: true,
        }),
      )
      return { seq: seen, duplicate: true }
    }
    this.#seq += 1
    const stroke: Stroke = { seq: this.#seq, ...input }
    this.#seenIds.set(key, this.#seq)
    if (this.#seenIds.size > this.#dedupWindow) {
      const oldest = this.#seenIds.keys().next()
      if (oldest.done !== true) this.#seenIds.delete(oldest.value)
    }
    this.#strokes.push(stroke)
    this.#fanOut({ type: 'stroke', room: this.name, ...stroke })
    return { seq: this.#seq, duplicate: false }
  }

  /** Numbers a clear, empties the board and tells every member. */
  clear(user: string): number {
    this.#seq += 1
    this.#strokes.length = 0
    this.#fanOut({ type: 'cleared', room: this.name, seq: this.#seq, user })
    return this.#seq
  }

  /** The `board` message: strokes since the last clear, as of `seq`. */
  state(): { type: 'board'; room: string; seq: number; strokes: readonly Stroke[] } {
    return { type: 'board', room: this.name, seq: this.#seq, strokes: this.#strokes }
  }

  #fanOut(message: object): void {
    const prepared = new PreparedMessage(message)
    for (const member of this.#members.keys()) member.send(prepared)
  }
}

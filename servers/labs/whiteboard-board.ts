/**
 * One shared whiteboard. Ordering rule: the server gives every operation (stroke, clear)
 * the board's next sequence number and fans it out in that order; every client applies
 * operations in `seq` order, so all clients — and a late joiner, who gets the board as
 * of a `seq` and then every later operation — end with the same board.
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

/** One named whiteboard: its members, its strokes since the last clear, its sequence. */
export class WhiteboardBoard {
  readonly name: string
  readonly #members = new Map<LabPeer, string>()
  readonly #strokes: Stroke[] = []
  #seq = 0

  constructor(name: string) {
    this.name = name
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

  /** Numbers a stroke, stores it and sends it to every member (the sender too). */
  stroke(input: StrokeInput): Stroke {
    this.#seq += 1
    const stroke: Stroke = { seq: this.#seq, ...input }
    this.#strokes.push(stroke)
    this.#fanOut({ type: 'stroke', room: this.name, ...stroke })
    return stroke
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

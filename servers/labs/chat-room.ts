/**
 * One chat room: its members, a bounded history, a per-room sequence number and a bounded
 * window of message ids that have been seen (so a resent message is acked again, never
 * delivered twice). Every event is serialized once and written to each member.
 */
import type { LabPeer } from './lab-peer.ts'
import { PreparedMessage } from './prepared-message.ts'
import { serverTime } from './server-time.ts'

/** A chat message as delivered to the room and kept in history. */
export interface ChatMessage {
  readonly type: 'message'
  readonly room: string
  /** Per-room sequence number, from 1, in delivery order. */
  readonly seq: number
  /** The sender's message id. */
  readonly id: string
  readonly user: string
  readonly text: string
  /** Server wall clock when the room fanned the message out, ms. */
  readonly t: number
  /** The sender's clock when it sent the message, ms, relayed as given. */
  readonly sentAt?: number
}

/** What {@link ChatRoom.say} did. */
export interface SayResult {
  readonly seq: number
  /** True when this id was seen before: acked again, not delivered again. */
  readonly duplicate: boolean
}

/** Bounds of one room. */
export interface ChatRoomLimits {
  readonly historyLength: number
  readonly dedupWindow: number
}

/** One named chat room. */
export class ChatRoom {
  readonly name: string
  readonly #members = new Map<string, LabPeer>()
  readonly #history: ChatMessage[] = []
  // Insertion-ordered, so the oldest id is the first key: evicted first when full.
  readonly #seenIds = new Map<string, number>()
  readonly #limits: ChatRoomLimits
  // Who is typing now, so that a message or a leave can stop the indicator for the others.
  readonly #typing = new Set<string>()
  #seq = 0

  constructor(name: string, limits: ChatRoomLimits) {
    this.name = name
    this.#limits = limits
  }

  /** Members in the room. */
  get size(): number {
    return this.#members.size
  }

  /** Member names, in join order. */
  get users(): string[] {
    return [...this.#members.keys()]
  }

  /** The last messages, oldest first (at most `historyLength`). */
  get history(): readonly ChatMessage[] {
    return this.#history
  }

  /** True when `user` is in the room. */
  has(user: string): boolean {
    return this.#members.has(user)
  }

  /** Adds `user`, sends it `joined` (members and history), and tells the others. */
  join(user: string, peer: LabPeer): void {
    this.#members.set(user, peer)
    peer.send(
      new PreparedMessage({
        type: 'joined',
        room: this.name,
        user,
        users: this.users,
        history: this.#history,
      }),
    )
    this.#fanOut({ type: 'presence', room: this.name, event: 'join', user, users: this.size }, peer)
  }

  /** Removes `user` and tells the others. */
  leave(user: string): void {
    const peer = this.#members.get(user)
    if (peer === undefined) return
    this.#stopTyping(user, peer)
    this.#members.delete(user)
    this.#fanOut({ type: 'presence', room: this.name, event: 'leave', user, users: this.size })
  }

  /**
   * Delivers one message to every member, sender included, and returns its sequence
   * number. A message id this user sent before is not delivered again: the result says
   * `duplicate` and carries the first delivery's `seq`.
   */
  say(user: string, id: string, text: string, sentAt: number | undefined): SayResult {
    const key = `${user}\n${id}`
    const seen = this.#seenIds.get(key)
    if (seen !== undefined) return { seq: seen, duplicate: true }
    this.#seq += 1
    const message: ChatMessage = {
      type: 'message',
      room: this.name,
      seq: this.#seq,
      id,
      user,
      text,
      t: serverTime(),
      ...(sentAt === undefined ? {} : { sentAt }),
    }
    this.#seenIds.set(key, this.#seq)
    if (this.#seenIds.size > this.#limits.dedupWindow) {
      const oldest = this.#seenIds.keys().next()
      if (oldest.done !== true) this.#seenIds.delete(oldest.value)
    }
    this.#stopTyping(user, this.#members.get(user))
    this.#history.push(message)
    if (this.#history.length > this.#limits.historyLength) this.#history.shift()
    this.#fanOut(message)
    return { seq: this.#seq, duplicate: false }
  }

  /**
   * Tells the other members that `user` started or stopped typing. Sending a message or
   * leaving stops it too, so no indicator is left on when its `active:false` never comes.
   */
  typing(user: string, active: boolean): void {
    const peer = this.#members.get(user)
    if (active) this.#typing.add(user)
    else this.#typing.delete(user)
    this.#fanOut({ type: 'typing', room: this.name, user, active }, peer)
  }

  #stopTyping(user: string, peer: LabPeer | undefined): void {
    if (!this.#typing.delete(user)) return
    this.#fanOut({ type: 'typing', room: this.name, user, active: false }, peer)
  }

  #fanOut(message: object, except?: LabPeer): void {
    const prepared = new PreparedMessage(message)
    for (const member of this.#members.values()) {
      if (member !== except) member.send(prepared)
    }
  }
}

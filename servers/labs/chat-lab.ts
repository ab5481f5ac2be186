/**
 * Chat rooms: named rooms, user names, join/leave presence, typing indicators, delivery
 * acknowledgements and history on join. Seed 002's fourth task. One protocol for both
 * transports: a WebSocket peer sends messages on the socket, an SSE peer POSTs them.
 */
import { z } from 'zod'
import type { Lab } from './lab.ts'
import type { LabPeer } from './lab-peer.ts'
import type { LabOptions } from './lab-defaults.ts'
import { labError, type LabError } from './lab-errors.ts'
import { checkJoin, decodeMessage, joinSchema, leaveSchema } from './lab-messages.ts'
import { ChatRoom } from './chat-room.ts'
import { PreparedMessage } from './prepared-message.ts'

/** Client → server messages of the chat lab. */
export const CHAT_CLIENT_MESSAGES = {
  join: joinSchema,
  say: z.object({
    type: z.literal('say'),
    id: z.string().min(1).max(64),
    text: z.string(),
    sentAt: z.number().optional(),
  }),
  typing: z.object({ type: z.literal('typing'), active: z.boolean() }),
  leave: leaveSchema,
} as const

/** A summary of one room for the REST view. */
export interface ChatRoomSummary {
  readonly room: string
  readonly users: string[]
  readonly messages: number
}

/** The chat lab, with a read-only view of its rooms. */
export interface ChatLab extends Lab {
  /** Rooms open now. */
  rooms(): ChatRoomSummary[]
  /** One room's members and history, or undefined when no such room is open. */
  room(name: string): { room: string; users: string[]; history: readonly object[] } | undefined
}

type ChatLimits = Pick<
  LabOptions,
  'maxRooms' | 'maxUsersPerRoom' | 'maxChatTextBytes' | 'historyLength' | 'dedupWindow'
>

/** Creates the chat lab. */
export function createChatLab(limits: ChatLimits): ChatLab {
  const rooms = new Map<string, ChatRoom>()
  const membership = new Map<LabPeer, { room: ChatRoom; user: string }>()

  function send(peer: LabPeer, message: object): void {
    peer.send(new PreparedMessage(message))
  }

  function leave(peer: LabPeer): void {
    const member = membership.get(peer)
    if (member === undefined) return
    membership.delete(peer)
    member.room.leave(member.user)
    // Empty rooms go, so the room bound counts only rooms someone is in.
    if (member.room.size === 0) rooms.delete(member.room.name)
  }

  function join(peer: LabPeer, roomField: unknown, userField: unknown): LabError | undefined {
    const checked = checkJoin(roomField, userField)
    if (!checked.ok) return checked.error
    const { room: name, user } = checked.value
    const current = membership.get(peer)
    if (current?.room.name === name && current.user === user) return undefined
    let room = rooms.get(name)
    if (room === undefined) {
      if (rooms.size >= limits.maxRooms) {
        return labError('room-limit', `${rooms.size} rooms are open, the most this server allows`)
      }
    } else {
      if (room.has(user)) return labError('name-taken', `"${user}" is already in room "${name}"`)
      if (room.size >= limits.maxUsersPerRoom) {
        return labError('room-full', `room "${name}" has ${room.size} users, the most it allows`)
      }
    }
    // A peer is in one room at a time: joining another room leaves the current one.
    leave(peer)
    if (room === undefined) {
      room = new ChatRoom(name, limits)
      rooms.set(name, room)
    }
    membership.set(peer, { room, user })
    room.join(user, peer)
    return undefined
  }

  function summaries(): ChatRoomSummary[] {
    return [...rooms.values()].map((open) => ({
      room: open.name,
      users: open.users,
      messages: open.history.length,
    }))
  }

  function room(name: string): ReturnType<ChatLab['room']> {
    const open = rooms.get(name)
    return open === undefined
      ? undefined
      : { room: open.name, users: open.users, history: open.history }
  }

  return {
    name: 'chat',
    anonymousPosts: false,
    connect(peer: LabPeer, query: URLSearchParams): void {
      if (!query.has('room') && !query.has('user')) return
      const error = join(peer, query.get('room') ?? undefined, query.get('user') ?? undefined)
      if (error !== undefined) send(peer, error)
    },
    receive(peer: LabPeer | undefined, text: string): LabError | undefined {
      if (peer === undefined) return labError('session-missing')
      if (!peer.bucket.take()) return labError('rate-limited')
      const decoded = decodeMessage(text, CHAT_CLIENT_MESSAGES)
      if (!decoded.ok) return decoded.error
      const message = decoded.value
      if (message.type === 'join') return join(peer, message.room, message.user)
      const member = membership.get(peer)
      if (member === undefined) return labError('not-joined')
      switch (message.type) {
        case 'say': {
          const bytes = Buffer.byteLength(message.text)
          if (bytes > limits.maxChatTextBytes) {
            return labError(
              'too-large',
              `message text is ${bytes} bytes; the most a chat message may carry is ${limits.maxChatTextBytes}`,
            )
          }
          const result = member.room.say(member.user, message.id, message.text, message.sentAt)
          send(peer, { type: 'ack', id: message.id, seq: result.seq, duplicate: result.duplicate })
          return undefined
        }
        case 'typing':
          member.room.typing(member.user, message.active)
          return undefined
        case 'leave':
          leave(peer)
          send(peer, { type: 'left', room: member.room.name })
          return undefined
      }
    },
    receiveBinary(): LabError | undefined {
      return labError('binary-unsupported')
    },
    disconnect(peer: LabPeer): void {
      leave(peer)
    },
    rooms: summaries,
    room,
    views: {
      rooms: () => ({ rooms: summaries() }),
      'rooms/:room': ({ room: name = '' }) =>
        room(name) ?? labError('bad-room-name', `no room "${name}" is open`),
    },
  }
}

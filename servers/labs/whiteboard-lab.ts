/**
 * Collaborative whiteboard: strokes broadcast to a room, late joiners get the board,
 * concurrent edits converge by the server's per-board sequence numbers (see
 * {@link WhiteboardBoard}). Seed 002's ninth task.
 */
import { z } from 'zod'
import type { Lab } from './lab.ts'
import type { LabPeer } from './lab-peer.ts'
import type { LabOptions } from './lab-defaults.ts'
import { labError, type LabError } from './lab-errors.ts'
import { checkJoin, decodeMessage, joinSchema, leaveSchema } from './lab-messages.ts'
import { WhiteboardBoard } from './whiteboard-board.ts'
import { PreparedMessage } from './prepared-message.ts'

/** Largest coordinate on the board, in board units. */
export const BOARD_SIZE = 4096

/** Client → server messages of the whiteboard lab. */
export function whiteboardClientMessages(maxPointsPerStroke: number) {
  const coordinate = z.number().min(0).max(BOARD_SIZE)
  return {
    join: joinSchema,
    stroke: z.object({
      type: z.literal('stroke'),
      id: z.string().min(1).max(64),
      color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour is "#rrggbb"'),
      width: z.number().min(1).max(64),
      points: z
        .array(z.tuple([coordinate, coordinate]))
        .min(1)
        .max(maxPointsPerStroke),
    }),
    clear: z.object({ type: z.literal('clear') }),
    leave: leaveSchema,
  } as const
}

/** The whiteboard lab, with a read-only view of its boards. */
export interface WhiteboardLab extends Lab {
  /** One board's state, or undefined when no such board is open. */
  board(name: string): ReturnType<WhiteboardBoard['state']> | undefined
}

type WhiteboardLimits = Pick<
  LabOptions,
  'maxRooms' | 'maxUsersPerRoom' | 'maxStrokesPerBoard' | 'maxPointsPerStroke' | 'dedupWindow'
>

/** Creates the whiteboard lab. */
export function createWhiteboardLab(limits: WhiteboardLimits): WhiteboardLab {
  const messages = whiteboardClientMessages(limits.maxPointsPerStroke)
  const boards = new Map<string, WhiteboardBoard>()
  const membership = new Map<LabPeer, { board: WhiteboardBoard; user: string }>()

  function leave(peer: LabPeer): void {
    const member = membership.get(peer)
    if (member === undefined) return
    membership.delete(peer)
    member.board.leave(peer)
    // A board lives while someone is on it: the lab keeps no drawings of empty rooms.
    if (member.board.size === 0) boards.delete(member.board.name)
  }

  function join(peer: LabPeer, roomField: unknown, userField: unknown): LabError | undefined {
    const checked = checkJoin(roomField, userField, 'guest')
    if (!checked.ok) return checked.error
    const { room: name, user } = checked.value
    let board = boards.get(name)
    if (board === undefined && boards.size >= limits.maxRooms) {
      return labError('room-limit', `${boards.size} boards are open, the most this server allows`)
    }
    if (board !== undefined && board.size >= limits.maxUsersPerRoom) {
      return labError('room-full', `board "${name}" has ${board.size} users, the most it allows`)
    }
    leave(peer)
    if (board === undefined) {
      board = new WhiteboardBoard(name, limits.dedupWindow)
      boards.set(name, board)
    }
    membership.set(peer, { board, user })
    board.join(peer, user)
    return undefined
  }

  function board(name: string): ReturnType<WhiteboardLab['board']> {
    return boards.get(name)?.state()
  }

  return {
    name: 'whiteboard',
    anonymousPosts: false,
    connect(peer: LabPeer, query: URLSearchParams): void {
      if (!query.has('room')) return
      const error = join(peer, query.get('room') ?? undefined, query.get('user') ?? undefined)
      if (error !== undefined) peer.send(new PreparedMessage(error))
    },
    receive(peer: LabPeer | undefined, text: string): LabError | undefined {
      if (peer === undefined) return labError('session-missing')
      if (!peer.bucket.take()) return labError('rate-limited')
      const decoded = decodeMessage(text, messages)
      if (!decoded.ok) return decoded.error
      const message = decoded.value
      if (message.type === 'join') return join(peer, message.room, message.user)
      const member = membership.get(peer)
      if (member === undefined) return labError('not-joined')
      switch (message.type) {
        case 'stroke':
          if (member.board.strokes.length >= limits.maxStrokesPerBoard) {
            return labError('board-full')
          }
          member.board.stroke(
            {
              id: message.id,
              user: member.user,
              color: message.color,
              width: message.width,
              points: message.points,
            },
            peer,
          )
          return undefined
        case 'clear':
          member.board.clear(member.user)
          return undefined
        case 'leave':
          leave(peer)
          peer.send(new PreparedMessage({ type: 'left', room: member.board.name }))
          return undefined
      }
    },
    receiveBinary(): LabError | undefined {
      return labError('binary-unsupported')
    },
    disconnect(peer: LabPeer): void {
      leave(peer)
    },
    board,
    views: {
      'rooms/:room': ({ room = '' }) =>
        board(room) ?? labError('bad-room-name', `no board "${room}" is open`),
    },
  }
}

import { describe, expect, it } from 'vitest'
import { ChatRoom } from '../../servers/labs/chat-room.ts'
import type { LabPeer } from '../../servers/labs/lab-peer.ts'
import { PreparedMessage } from '../../servers/labs/prepared-message.ts'
import { TokenBucket } from '../../servers/http/rate-limit.ts'

/** A peer that records what it is sent. */
function recordingPeer(): LabPeer & { sent: PreparedMessage[] } {
  const sent: PreparedMessage[] = []
  return {
    id: `peer-${String(Math.random())}`,
    transport: 'websocket',
    bucket: new TokenBucket(1, 1),
    open: true,
    sent,
    send(message: PreparedMessage) {
      sent.push(message)
    },
    sendBinary() {
      // not used by rooms
    },
  }
}

function types(peer: { sent: PreparedMessage[] }): string[] {
  return peer.sent.map((message) => (JSON.parse(message.json) as { type: string }).type)
}

describe('ChatRoom', () => {
  it('hands every member the same prepared message, serialized once', () => {
    const room = new ChatRoom('fan-out', { historyLength: 10, dedupWindow: 10 })
    const peers = [recordingPeer(), recordingPeer(), recordingPeer()]
    for (const [index, peer] of peers.entries()) room.join(`user${String(index)}`, peer)
    room.say('user0', 'm1', 'hello', undefined)
    const delivered = peers.map((peer) => peer.sent.at(-1))
    expect(delivered[0]).toBeInstanceOf(PreparedMessage)
    expect(delivered[1]).toBe(delivered[0])
    expect(delivered[2]).toBe(delivered[0])
    // The socket bytes are built once too: every socket writes the same Buffer.
    expect(delivered[1]?.webSocketBytes).toBe(delivered[0]?.webSocketBytes)
  })

  it('keeps only the last historyLength messages, oldest first', () => {
    const room = new ChatRoom('history', { historyLength: 2, dedupWindow: 10 })
    room.join('ana', recordingPeer())
    for (const id of ['a', 'b', 'c']) room.say('ana', id, id, undefined)
    expect(room.history.map((message) => message.id)).toEqual(['b', 'c'])
  })

  it('remembers the last dedupWindow ids: an id evicted from the window is delivered again', () => {
    const room = new ChatRoom('window', { historyLength: 10, dedupWindow: 2 })
    const peer = recordingPeer()
    room.join('ana', peer)
    expect(room.say('ana', 'x', 'x', undefined)).toEqual({ seq: 1, duplicate: false })
    expect(room.say('ana', 'x', 'x', undefined)).toEqual({ seq: 1, duplicate: true })
    room.say('ana', 'y', 'y', undefined)
    room.say('ana', 'z', 'z', undefined)
    expect(room.say('ana', 'x', 'x', undefined)).toEqual({ seq: 4, duplicate: false })
  })

  it('keys duplicates by user: two users may use the same message id', () => {
    const room = new ChatRoom('ids', { historyLength: 10, dedupWindow: 10 })
    room.join('ana', recordingPeer())
    room.join('bo', recordingPeer())
    expect(room.say('ana', '1', 'a', undefined).duplicate).toBe(false)
    expect(room.say('bo', '1', 'b', undefined).duplicate).toBe(false)
  })

  it('sends typing and presence to the others only', () => {
    const room = new ChatRoom('typing', { historyLength: 10, dedupWindow: 10 })
    const ana = recordingPeer()
    const bo = recordingPeer()
    room.join('ana', ana)
    room.join('bo', bo)
    room.typing('bo', true)
    expect(types(ana)).toEqual(['joined', 'presence', 'typing'])
    expect(types(bo)).toEqual(['joined'])
  })

  it('stops a typing indicator when the typist sends a message or leaves', () => {
    const room = new ChatRoom('typing-stops', { historyLength: 10, dedupWindow: 10 })
    const ana = recordingPeer()
    room.join('ana', ana)
    room.join('bo', recordingPeer())
    room.typing('bo', true)
    room.say('bo', 'm', 'done typing', undefined)
    room.typing('bo', true)
    room.leave('bo')
    const typing = ana.sent
      .map((message) => JSON.parse(message.json) as { type: string; active?: boolean })
      .filter((message) => message.type === 'typing')
      .map((message) => message.active)
    expect(typing).toEqual([true, false, true, false])
    // A message from someone not typing sends no extra typing event.
    room.say('ana', 'n', 'hi', undefined)
    expect(ana.sent.filter((message) => message.json.includes('"typing"'))).toHaveLength(4)
  })
})

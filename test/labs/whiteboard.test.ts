import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  LabSocket,
  LabStream,
  startLabHarness,
  type LabHarness,
  type LabMessage,
} from './lab-harness.ts'

let harness: LabHarness

beforeAll(async () => {
  harness = await startLabHarness()
})

afterAll(async () => {
  await harness.close()
})

interface DrawnStroke {
  seq: number
  id: string
  user: string
  points: [number, number][]
}

/**
 * A client replica of the board, built the way the README tells clients to: start from the
 * `board` message, then apply `stroke` and `cleared` in `seq` order.
 */
class BoardReplica {
  seq = 0
  strokes: DrawnStroke[] = []

  apply(message: LabMessage): void {
    if (message.type === 'board') {
      this.seq = message['seq'] as number
      this.strokes = [...(message['strokes'] as DrawnStroke[])]
      return
    }
    if (message.type !== 'stroke' && message.type !== 'cleared') return
    const seq = message['seq'] as number
    if (seq <= this.seq) return
    // The server sends in seq order on every socket; a gap would mean a lost operation.
    expect(seq).toBe(this.seq + 1)
    this.seq = seq
    if (message.type === 'cleared') this.strokes = []
    else this.strokes.push(message as unknown as DrawnStroke)
  }

  /** What a canvas would draw, in drawing order. */
  picture(): string[] {
    return this.strokes.map((stroke) => `${String(stroke.seq)}:${stroke.user}:${stroke.id}`)
  }
}

async function openBoard(room: string, user: string): Promise<LabSocket> {
  const client = await LabSocket.open(`${harness.wsUrl}/labs/whiteboard?room=${room}&user=${user}`)
  await client.nextOfType('board')
  return client
}

describe('whiteboard lab', () => {
  it('converges: three clients drawing at once end with the same board as a late joiner', async () => {
    const users = ['ann', 'ben', 'cat']
    const clients = await Promise.all(users.map((user) => openBoard('converge', user)))
    const strokesEach = 20
    // Interleave the three writers so the server sees their strokes mixed.
    for (let index = 0; index < strokesEach; index++) {
      for (const [position, client] of clients.entries()) {
        client.send({
          type: 'stroke',
          id: `${users[position] ?? ''}-${String(index)}`,
          color: '#336699',
          width: 2 + position,
          points: [
            [index, position],
            [index + 10, position + 10],
          ],
        })
      }
      if (index === 10) clients[1]?.send({ type: 'clear' })
    }
    const total = strokesEach * users.length + 1
    const replicas = await Promise.all(
      clients.map(async (client) => {
        await client.next(
          (message) =>
            (message.type === 'stroke' || message.type === 'cleared') && message['seq'] === total,
          `operation seq ${String(total)}`,
        )
        const replica = new BoardReplica()
        for (const message of client.received) replica.apply(message)
        return replica
      }),
    )
    const late = await LabSocket.open(`${harness.wsUrl}/labs/whiteboard?room=converge&user=late`)
    const lateReplica = new BoardReplica()
    lateReplica.apply(await late.nextOfType('board'))

    const reference = replicas[0]?.picture() ?? []
    // The clear came after the 11th round; every stroke after it in seq order survives.
    expect(reference.length).toBeGreaterThan(0)
    expect(reference.length).toBeLessThan(strokesEach * users.length)
    for (const replica of [...replicas, lateReplica]) {
      expect(replica.seq).toBe(total)
      expect(replica.picture()).toEqual(reference)
    }
    const rest = (await (
      await fetch(`${harness.baseUrl}/labs/whiteboard/rooms/converge`)
    ).json()) as { seq: number; strokes: unknown[] }
    expect(rest.seq).toBe(total)
    expect(rest.strokes).toHaveLength(reference.length)
    for (const client of [...clients, late]) client.close()
  })

  it('keeps boards apart and lets SSE + POST clients draw on the same board', async () => {
    const painter = await openBoard('sse-board', 'ws-user')
    const other = await openBoard('elsewhere', 'far')
    const stream = await LabStream.open(
      harness.baseUrl,
      'whiteboard',
      '?room=sse-board&user=sse-user',
    )
    await stream.nextOfType('board')
    const posted = await stream.post({
      type: 'stroke',
      id: 'p1',
      color: '#000000',
      width: 1,
      points: [[1, 1]],
    })
    expect(posted.status).toBe(202)
    expect(await painter.nextOfType('stroke')).toMatchObject({ id: 'p1', user: 'sse-user', seq: 1 })
    expect(await stream.nextOfType('stroke')).toMatchObject({ id: 'p1', seq: 1 })
    other.send({ type: 'clear' })
    expect(await other.nextOfType('cleared')).toMatchObject({ room: 'elsewhere', seq: 1 })
    painter.send({ type: 'clear' })
    await painter.nextOfType('cleared')
    expect(painter.received.filter((message) => message.type === 'cleared')).toHaveLength(1)
    for (const client of [painter, other, stream]) client.close()
  })

  it('draws a stroke resent after a reconnect once, and acks the resend as a duplicate', async () => {
    const watcher = await openBoard('resend', 'watcher')
    const stroke = { type: 'stroke', id: 'r1', color: '#112233', width: 3, points: [[5, 5]] }
    const first = await openBoard('resend', 'ann')
    first.send(stroke)
    expect(await first.nextOfType('stroke')).toMatchObject({ id: 'r1', seq: 1 })
    // The connection drops before ann knows; she comes back and resends what she drew.
    first.socket.terminate()
    const again = await openBoard('resend', 'ann')
    again.send(stroke)
    expect(await again.nextOfType('ack')).toEqual({
      type: 'ack',
      room: 'resend',
      id: 'r1',
      seq: 1,
      duplicate: true,
    })
    // Ids are per user: another user's r1 is a new stroke, and it is the next operation.
    const ben = await openBoard('resend', 'ben')
    ben.send(stroke)
    expect(await watcher.nextOfType('stroke')).toMatchObject({ id: 'r1', user: 'ann', seq: 1 })
    expect(await watcher.nextOfType('stroke')).toMatchObject({ id: 'r1', user: 'ben', seq: 2 })
    const board = (await (
      await fetch(`${harness.baseUrl}/labs/whiteboard/rooms/resend`)
    ).json()) as { seq: number; strokes: { id: string; user: string }[] }
    expect(board.seq).toBe(2)
    expect(board.strokes.map((drawn) => `${drawn.user}:${drawn.id}`)).toEqual(['ann:r1', 'ben:r1'])
    expect(again.received.filter((message) => message.type === 'stroke')).toHaveLength(1)
    for (const client of [watcher, again, ben]) client.close()
  })

  it('names the bad field of a stroke and keeps the socket', async () => {
    const client = await openBoard('bad-strokes', 'ann')
    const bad: [object, RegExp][] = [
      [{ type: 'stroke', id: 's', color: 'red', width: 2, points: [[0, 0]] }, /color/],
      [{ type: 'stroke', id: 's', color: '#ffffff', width: 2, points: [] }, /points/],
      [{ type: 'stroke', id: 's', color: '#ffffff', width: 2, points: [[0, 99999]] }, /points/],
      [{ type: 'stroke', id: 's', color: '#ffffff', width: 0, points: [[0, 0]] }, /width/],
    ]
    for (const [message, field] of bad) {
      client.send(message)
      const error = await client.nextOfType('error')
      expect(error).toMatchObject({ code: 'invalid-message' })
      expect(error['message']).toMatch(field)
    }
    client.send({ type: 'stroke', id: 'ok', color: '#ffffff', width: 2, points: [[0, 0]] })
    expect(await client.nextOfType('stroke')).toMatchObject({ id: 'ok', seq: 1 })
    client.close()
  })
})

describe('labs close', () => {
  it('closes WebSockets with 1001 and ends SSE streams', async () => {
    const own = await startLabHarness()
    const socket = await LabSocket.open(`${own.wsUrl}/labs/chat?room=bye&user=ws`)
    const stream = await LabStream.open(own.baseUrl, 'chat', '?room=bye&user=sse')
    await own.close()
    expect((await socket.closed).code).toBe(1001)
    await stream.ended
  })
})

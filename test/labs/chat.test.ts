import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LabSocket, LabStream, startLabHarness, type LabHarness } from './lab-harness.ts'

let harness: LabHarness

beforeAll(async () => {
  harness = await startLabHarness({ historyLength: 3 })
})

afterAll(async () => {
  await harness.close()
})

async function joinWs(room: string, user: string): Promise<LabSocket> {
  const client = await LabSocket.open(`${harness.wsUrl}/labs/chat`)
  client.send({ type: 'join', room, user })
  await client.nextOfType('joined')
  return client
}

describe('chat lab', () => {
  it('joins by query string and lists the members', async () => {
    const ana = await joinWs('query-room', 'ana')
    const bo = await LabSocket.open(`${harness.wsUrl}/labs/chat?room=query-room&user=bo`)
    const joined = await bo.nextOfType('joined')
    expect(joined).toMatchObject({ room: 'query-room', user: 'bo', users: ['ana', 'bo'] })
    ana.close()
    bo.close()
  })

  it('isolates rooms: a message reaches its own room only', async () => {
    const red = await joinWs('red', 'ana')
    const blue = await joinWs('blue', 'bo')
    const redToo = await joinWs('red', 'cy')
    red.send({ type: 'say', id: 'r1', text: 'red only' })
    expect(await redToo.nextOfType('message')).toMatchObject({ room: 'red', text: 'red only' })
    blue.send({ type: 'say', id: 'b1', text: 'blue only' })
    expect(await blue.nextOfType('message')).toMatchObject({ room: 'blue', text: 'blue only' })
    // Each socket is ordered: blue's own message is the first message it sees, so red's never came.
    expect(blue.received.filter((message) => message.type === 'message')).toHaveLength(1)
    red.send({ type: 'say', id: 'r2', text: 'marker' })
    await red.next((message) => message['id'] === 'r2' && message.type === 'message', 'marker')
    expect(red.received.some((message) => message['text'] === 'blue only')).toBe(false)
    for (const client of [red, blue, redToo]) client.close()
  })

  it('tells the others of joins, leaves and typing, and not the user itself', async () => {
    const ana = await joinWs('presence', 'ana')
    const bo = await joinWs('presence', 'bo')
    expect(await ana.nextOfType('presence')).toMatchObject({ event: 'join', user: 'bo', users: 2 })
    bo.send({ type: 'typing', active: true })
    expect(await ana.nextOfType('typing')).toMatchObject({ user: 'bo', active: true })
    bo.send({ type: 'typing', active: false })
    expect(await ana.nextOfType('typing')).toMatchObject({ user: 'bo', active: false })
    bo.send({ type: 'leave' })
    expect(await bo.nextOfType('left')).toMatchObject({ room: 'presence' })
    expect(await ana.nextOfType('presence')).toMatchObject({ event: 'leave', user: 'bo', users: 1 })
    expect(bo.received.some((message) => message.type === 'typing')).toBe(false)
    const cy = await joinWs('presence', 'cy')
    cy.close()
    expect(await ana.nextOfType('presence')).toMatchObject({ event: 'join', user: 'cy' })
    expect(await ana.nextOfType('presence')).toMatchObject({ event: 'leave', user: 'cy' })
    ana.close()
    bo.close()
  })

  it('acks each message id once, acks a resent id again and never delivers it twice', async () => {
    const ana = await joinWs('acks', 'ana')
    const bo = await joinWs('acks', 'bo')
    ana.send({ type: 'say', id: 'a1', text: 'once', sentAt: 123 })
    const ack = await ana.nextOfType('ack')
    expect(ack).toMatchObject({ id: 'a1', duplicate: false })
    expect(await bo.nextOfType('message')).toMatchObject({
      id: 'a1',
      user: 'ana',
      text: 'once',
      seq: ack['seq'],
      sentAt: 123,
    })
    ana.send({ type: 'say', id: 'a1', text: 'once' })
    expect(await ana.nextOfType('ack')).toMatchObject({
      id: 'a1',
      seq: ack['seq'],
      duplicate: true,
    })
    ana.send({ type: 'say', id: 'a2', text: 'marker' })
    await bo.next((message) => message['id'] === 'a2', 'marker message')
    const delivered = bo.received.filter((message) => message.type === 'message')
    expect(delivered.map((message) => message['id'])).toEqual(['a1', 'a2'])
    const acks = ana.received.filter((message) => message.type === 'ack')
    expect(acks.map((message) => [message['id'], message['duplicate']])).toEqual([
      ['a1', false],
      ['a1', true],
      ['a2', false],
    ])
    ana.close()
    bo.close()
  })

  it('sends a late joiner the bounded history, oldest first', async () => {
    const ana = await joinWs('history', 'ana')
    for (let index = 1; index <= 5; index++) {
      ana.send({ type: 'say', id: `h${index}`, text: `m${index}` })
      await ana.next((message) => message.type === 'ack' && message['id'] === `h${index}`, 'ack')
    }
    const late = await LabSocket.open(`${harness.wsUrl}/labs/chat?room=history&user=late`)
    const joined = await late.nextOfType('joined')
    const history = joined['history'] as { text: string; seq: number }[]
    expect(history.map((message) => message.text)).toEqual(['m3', 'm4', 'm5'])
    expect(history.map((message) => message.seq)).toEqual([3, 4, 5])
    ana.close()
    late.close()
  })

  it('speaks the same protocol over SSE + POST, in one room with WebSocket users', async () => {
    const ana = await joinWs('mixed', 'ana')
    const bo = await LabStream.open(harness.baseUrl, 'chat', '?room=mixed&user=bo')
    expect(await bo.nextOfType('joined')).toMatchObject({ users: ['ana', 'bo'] })
    expect(await ana.nextOfType('presence')).toMatchObject({ event: 'join', user: 'bo' })
    expect((await bo.post({ type: 'say', id: 's1', text: 'from sse' })).status).toBe(202)
    expect(await bo.nextOfType('ack')).toMatchObject({ id: 's1', duplicate: false })
    expect(await ana.nextOfType('message')).toMatchObject({ user: 'bo', text: 'from sse' })
    await bo.post({ type: 'say', id: 's1', text: 'from sse' })
    expect(await bo.nextOfType('ack')).toMatchObject({ id: 's1', duplicate: true })
    ana.send({ type: 'typing', active: true })
    expect(await bo.nextOfType('typing')).toMatchObject({ user: 'ana', active: true })
    ana.send({ type: 'say', id: 'w1', text: 'from ws' })
    expect(await bo.nextOfType('message')).toMatchObject({ user: 'ana', text: 'from ws' })
    const rooms = (await (await fetch(`${harness.baseUrl}/labs/chat/rooms`)).json()) as {
      rooms: { room: string; users: string[] }[]
    }
    expect(rooms.rooms.find((room) => room.room === 'mixed')?.users).toEqual(['ana', 'bo'])
    bo.close()
    expect(await ana.nextOfType('presence')).toMatchObject({ event: 'leave', user: 'bo' })
    ana.close()
  })

  it('refuses a second user with the same name in a room', async () => {
    const ana = await joinWs('names', 'ana')
    const twin = await LabSocket.open(`${harness.wsUrl}/labs/chat`)
    twin.send({ type: 'join', room: 'names', user: 'ana' })
    expect(await twin.nextOfType('error')).toMatchObject({ code: 'name-taken' })
    twin.send({ type: 'join', room: 'names', user: 'ana2' })
    expect(await twin.nextOfType('joined')).toMatchObject({ users: ['ana', 'ana2'] })
    ana.close()
    twin.close()
  })
})

describe('chat lab bad input', () => {
  it('gives each bad message a clear error, keeps the socket, and other rooms keep working', async () => {
    const bystander = await joinWs('calm', 'zed')
    const friend = await joinWs('calm', 'yan')
    const client = await LabSocket.open(`${harness.wsUrl}/labs/chat`)
    await client.nextOfType('hello')

    const cases: [object | string, string, RegExp][] = [
      ['{not json', 'malformed-json', /not valid JSON/],
      [{ type: 'say', id: 'x', text: 'before join' }, 'not-joined', /join a room first/],
      [{ type: 'join', room: 'Bad Room!', user: 'ana' }, 'bad-room-name', /"Bad Room!"/],
      [{ type: 'join', user: 'ana' }, 'bad-room-name', /missing/],
      [{ type: 'join', room: 'ok-room' }, 'user-missing', /user name missing/],
      [{ type: 'join', room: 'ok-room', user: '<script>' }, 'bad-user-name', /bad user name/],
      [{ type: 'shout' }, 'unknown-type', /"shout".*"join", "say", "typing", "leave"/],
      [[1, 2], 'invalid-message', /JSON object/],
    ]
    for (const [message, code, text] of cases) {
      client.send(typeof message === 'string' ? message : JSON.stringify(message))
      const error = await client.nextOfType('error')
      expect(error, JSON.stringify(message)).toMatchObject({ code })
      expect(error['message']).toMatch(text)
    }

    client.send({ type: 'join', room: 'ok-room', user: 'ana' })
    await client.nextOfType('joined')
    client.send({ type: 'say', id: 'big', text: 'x'.repeat(2001) })
    const tooLarge = await client.nextOfType('error')
    expect(tooLarge).toMatchObject({ code: 'too-large' })
    expect(tooLarge['message']).toMatch(/2001 bytes.*2000/)
    client.send({ type: 'say', id: 7, text: 'id must be a string' })
    expect((await client.nextOfType('error'))['message']).toMatch(/bad "say" message: id/)

    // The same socket still works after every fault.
    client.send({ type: 'say', id: 'fine', text: 'still here' })
    expect(await client.nextOfType('ack')).toMatchObject({ id: 'fine', duplicate: false })

    // And the other room never noticed.
    bystander.send({ type: 'say', id: 'calm-1', text: 'all quiet' })
    expect(await friend.nextOfType('message')).toMatchObject({ room: 'calm', text: 'all quiet' })
    expect(friend.received.some((message) => message.type === 'error')).toBe(false)
    for (const socket of [bystander, friend, client]) socket.close()
  })

  it('answers bad POSTs with HTTP statuses and a JSON error, and the stream stays usable', async () => {
    const stream = await LabStream.open(harness.baseUrl, 'chat', '?room=post-room&user=pat')
    await stream.nextOfType('joined')
    const bad = await stream.post('{oops')
    expect(bad).toMatchObject({ status: 400, body: { type: 'error', code: 'malformed-json' } })
    const unknown = await stream.post({ type: 'dance' })
    expect(unknown).toMatchObject({ status: 400, body: { code: 'unknown-type' } })
    const big = await stream.post({ type: 'say', id: 'b', text: 'y'.repeat(3000) })
    expect(big).toMatchObject({ status: 413, body: { code: 'too-large' } })
    const join = await stream.post({ type: 'join', room: 'UPPER', user: 'pat' })
    expect(join).toMatchObject({ status: 400, body: { code: 'bad-room-name' } })
    expect((await stream.post({ type: 'say', id: 'ok', text: 'fine' })).status).toBe(202)
    expect(await stream.nextOfType('ack')).toMatchObject({ id: 'ok' })
    stream.close()
  })

  it('reports a bad join in the query string on the stream it opened', async () => {
    const stream = await LabStream.open(harness.baseUrl, 'chat', '?room=ok-two')
    expect(await stream.nextOfType('error')).toMatchObject({ code: 'user-missing' })
    stream.close()
  })
})

describe('chat lab bounds', () => {
  it('bounds rooms, users per room and the message rate', async () => {
    const small = await startLabHarness({
      maxRooms: 1,
      maxUsersPerRoom: 1,
      messageRatePerS: 0.001,
      messageBurst: 3,
    })
    try {
      const first = await LabSocket.open(`${small.wsUrl}/labs/chat?room=only&user=a`)
      await first.nextOfType('joined')
      const second = await LabSocket.open(`${small.wsUrl}/labs/chat?room=other&user=b`)
      expect(await second.nextOfType('error')).toMatchObject({ code: 'room-limit' })
      second.send({ type: 'join', room: 'only', user: 'b' })
      expect(await second.nextOfType('error')).toMatchObject({ code: 'room-full' })
      // A burst of 3 messages, refilled at 0.001/s: the query join is not a message, so the
      // join above and the next two use the burst up and the fourth is refused.
      for (const user of ['c', 'd']) {
        second.send({ type: 'join', room: 'only', user })
        expect(await second.nextOfType('error')).toMatchObject({ code: 'room-full' })
      }
      second.send({ type: 'join', room: 'only', user: 'e' })
      expect(await second.nextOfType('error')).toMatchObject({ code: 'rate-limited' })
      first.close()
      second.close()
    } finally {
      await small.close()
    }
  })
})

/**
 * Model-based test of resume (fast-check commands): random sequences of publish,
 * disconnect, resume, fresh connect, restart (history lost) and a tampered cursor are run
 * against the real Feed and a client that applies what it is sent, and compared with a
 * model a few lines long. Guarantees 1–3 of DESIGN.md: strictly increasing seq, every
 * missed frame exactly once within the history window, otherwise an explicit reset with
 * the right reason followed by a snapshot.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Feed } from '../../servers/feed/feed.ts'
import type { ResetReason, ServerMessage } from '../../servers/feed/messages.ts'

const HISTORY = 8

/** What the model knows: positions only. */
interface Model {
  /** Epoch generation; a restart makes a new one. */
  generation: number
  /** Newest published seq of the current generation. */
  newest: number
  connected: boolean
  /** The client's cursor, or null before its first connection. */
  cursor: { generation: number; since: number } | null
}

/** A client that does what a conforming client does with each message. */
class Client {
  cursor: { epoch: string; since: number } | null = null
  connected = false
  unsubscribe: (() => void) | null = null
  /** seqs received since the last snapshot, in order. */
  received: number[] = []
  gaps = 0
  resets: ResetReason[] = []

  apply(text: string): void {
    const message = JSON.parse(text) as ServerMessage
    switch (message.type) {
      case 'reset':
        this.resets.push(message.reason)
        break
      case 'snapshot':
        this.cursor = { epoch: message.epoch, since: message.seq }
        this.received = []
        break
      case 'frame':
        if (this.cursor === null) throw new Error('frame before any snapshot')
        if (message.seq !== this.cursor.since + 1) this.gaps++
        this.cursor.since = message.seq
        this.received.push(message.seq)
        break
      default:
        throw new Error(`unexpected ${message.type}`)
    }
  }
}

/** The system under test: the feed of the current process and one client. */
interface Real {
  feed: Feed
  client: Client
}

function newFeed(): Feed {
  return new Feed({ rate: 10, sprites: 2, events: 2, pad: 0, history: HISTORY, seed: 7 })
}

function connect(real: Real, withCursor: boolean): void {
  const { client, feed } = real
  const catchUp = feed.catchUp(withCursor && client.cursor !== null ? client.cursor : undefined)
  for (const text of catchUp.messages) client.apply(text)
  client.unsubscribe = feed.onTick((tick) => {
    client.apply(tick.text)
  })
  client.connected = true
}

function disconnect(real: Real): void {
  real.client.unsubscribe?.()
  real.client.unsubscribe = null
  real.client.connected = false
}

class Publish implements fc.Command<Model, Real> {
  readonly count: number
  constructor(count: number) {
    this.count = count
  }
  check = (): boolean => true
  run(model: Model, real: Real): void {
    const before = real.client.received.length
    for (let i = 0; i < this.count; i++) real.feed.tick()
    model.newest += this.count
    if (model.connected) {
      model.cursor = { generation: model.generation, since: model.newest }
      // Live delivery: every tick exactly once, in order.
      expect(real.client.received.length - before).toBe(this.count)
      expect(real.client.cursor?.since).toBe(model.newest)
    }
    expect(real.client.gaps).toBe(0)
  }
  toString = (): string => `publish(${this.count})`
}

class Disconnect implements fc.Command<Model, Real> {
  check = (model: Readonly<Model>): boolean => model.connected
  run(model: Model, real: Real): void {
    disconnect(real)
    model.connected = false
  }
  toString = (): string => 'disconnect'
}

class Resume implements fc.Command<Model, Real> {
  check = (model: Readonly<Model>): boolean => !model.connected && model.cursor !== null
  run(model: Model, real: Real): void {
    const cursor = model.cursor
    if (cursor === null) throw new Error('check() guarantees a cursor')
    const expected: ResetReason | null =
      cursor.generation !== model.generation
        ? 'unknown-epoch'
        : cursor.since > model.newest
          ? 'ahead'
          : cursor.since + 1 < Math.max(1, model.newest - HISTORY + 1)
            ? 'expired'
            : null
    const resetsBefore = real.client.resets.length
    const receivedBefore = real.client.received.length
    connect(real, true)
    model.connected = true
    if (expected === null) {
      // Every missed frame, exactly once, in order, then nothing else.
      expect(real.client.resets.length).toBe(resetsBefore)
      const replayed = real.client.received.slice(receivedBefore)
      expect(replayed).toEqual(
        Array.from({ length: model.newest - cursor.since }, (_, i) => cursor.since + 1 + i),
      )
    } else {
      expect(real.client.resets.slice(resetsBefore)).toEqual([expected])
      expect(real.client.received).toEqual([]) // the snapshot restarted the client's view
    }
    expect(real.client.gaps).toBe(0)
    expect(real.client.cursor).toEqual({ epoch: real.feed.epoch, since: model.newest })
    model.cursor = { generation: model.generation, since: model.newest }
  }
  toString = (): string => 'resume'
}

class ConnectFresh implements fc.Command<Model, Real> {
  check = (model: Readonly<Model>): boolean => !model.connected
  run(model: Model, real: Real): void {
    const resetsBefore = real.client.resets.length
    connect(real, false)
    model.connected = true
    model.cursor = { generation: model.generation, since: model.newest }
    expect(real.client.resets.length).toBe(resetsBefore)
    expect(real.client.cursor).toEqual({ epoch: real.feed.epoch, since: model.newest })
  }
  toString = (): string => 'connect-fresh'
}

class Restart implements fc.Command<Model, Real> {
  check = (): boolean => true
  run(model: Model, real: Real): void {
    disconnect(real)
    real.feed = newFeed()
    model.generation++
    model.newest = 0
    model.connected = false
    // The client keeps its cursor; model.cursor still names the old generation.
  }
  toString = (): string => 'restart'
}

class TamperAhead implements fc.Command<Model, Real> {
  readonly by: number
  constructor(by: number) {
    this.by = by
  }
  check = (model: Readonly<Model>): boolean => !model.connected && model.cursor !== null
  run(model: Model, real: Real): void {
    if (model.cursor === null || real.client.cursor === null) throw new Error('no cursor')
    model.cursor = { ...model.cursor, since: model.cursor.since + this.by }
    real.client.cursor = { ...real.client.cursor, since: real.client.cursor.since + this.by }
  }
  toString = (): string => `tamper-ahead(${this.by})`
}

describe('resume, model-based', () => {
  it('matches the model for any sequence of publish / disconnect / resume / restart', () => {
    const commands = [
      fc.integer({ min: 1, max: 2 * HISTORY }).map((n) => new Publish(n)),
      fc.constant(new Disconnect()),
      fc.constant(new Resume()),
      fc.constant(new ConnectFresh()),
      fc.constant(new Restart()),
      fc.integer({ min: 1, max: 5 }).map((n) => new TamperAhead(n)),
    ]
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 60 }), (sequence) => {
        const setup = () => ({
          model: { generation: 0, newest: 0, connected: false, cursor: null } satisfies Model,
          real: { feed: newFeed(), client: new Client() } satisfies Real,
        })
        fc.modelRun(setup, sequence)
      }),
      { numRuns: 300 },
    )
  })

  it.each([
    ['an empty stream', 0, 0, null],
    ['a position inside the window', 20, 15, null],
    ['the same position as the newest', 20, 20, null],
    ['the oldest position still served', 20, 20 - HISTORY, null],
    ['a position already gone', 20, 20 - HISTORY - 1, 'expired'],
    ['a position ahead of the newest', 20, 21, 'ahead'],
  ] as const)('recovers from %s as the model says', (_name, published, since, reason) => {
    const feed = newFeed()
    for (let i = 0; i < published; i++) feed.tick()
    const catchUp = feed.catchUp({ epoch: feed.epoch, since })
    const messages = catchUp.messages.map((text) => JSON.parse(text) as ServerMessage)
    if (reason === null) {
      expect(messages.map((m) => (m.type === 'frame' ? m.seq : -1))).toEqual(
        Array.from({ length: published - since }, (_, i) => since + 1 + i),
      )
    } else {
      expect(messages.map((m) => m.type)).toEqual(['reset', 'snapshot'])
      expect(messages[0]).toMatchObject({ type: 'reset', reason })
    }
  })

  it('answers a cursor from another epoch with reset(unknown-epoch) then a snapshot', () => {
    const feed = newFeed()
    feed.tick()
    const messages = feed
      .catchUp({ epoch: 'other-epoch', since: 1 })
      .messages.map((text) => JSON.parse(text) as ServerMessage)
    expect(messages.map((m) => m.type)).toEqual(['reset', 'snapshot'])
    expect(messages[0]).toMatchObject({ reason: 'unknown-epoch' })
  })
})

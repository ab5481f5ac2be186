/**
 * The HTTP surface outside the conformance suite: REST views, ETag/304 on short polls,
 * SSE event ids, long-poll wait, and the metric names the bench reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PollReply, ScoredEvent, SnapshotMessage } from '../../servers/feed/messages.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { openClient } from '../conformance/feed-clients.ts'

let server: RunningServer

beforeAll(async () => {
  server = await startServer({ port: 0, rate: 50, history: 100, serveSite: false })
})

afterAll(async () => {
  await server.close()
})

describe('REST views', () => {
  it('lists the five scored events and reads one by id', async () => {
    const list = (await (await fetch(`${server.url}/api/events`)).json()) as {
      events: ScoredEvent[]
    }
    expect(list.events.map((event) => event.id)).toEqual([
      'EVENT#00',
      'EVENT#01',
      'EVENT#02',
      'EVENT#03',
      'EVENT#04',
    ])
    const one = await fetch(`${server.url}/api/events/${encodeURIComponent('EVENT#03')}`)
    expect(one.status).toBe(200)
    expect(await one.json()).toMatchObject({ id: 'EVENT#03' })
  })

  it('serves the current snapshot with type, epoch, seq and t first', async () => {
    const text = await (await fetch(`${server.url}/api/feed`)).text()
    expect(text).toMatch(/^\{"type":"snapshot","epoch":"[^"]+","seq":\d+,"t":[\d.]+,/)
    expect((JSON.parse(text) as SnapshotMessage).epoch).toBe(server.feed.epoch)
  })
})

describe('short poll', () => {
  it('answers 304 to If-None-Match while nothing is new, 200 with frames after', async () => {
    const slow = await startServer({ port: 0, rate: 2, serveSite: false })
    try {
      const first = await fetch(`${slow.url}/poll/short`)
      const reply = (await first.json()) as PollReply
      const etag = first.headers.get('etag') ?? ''
      expect(etag).toBe(`"${reply.epoch}:${reply.next}"`)
      const url = `${slow.url}/poll/short?epoch=${reply.epoch}&since=${reply.next}`
      // At 2 Hz the next tick is up to 500 ms away; ask right away.
      const same = await fetch(url, { headers: { 'If-None-Match': etag } })
      if (slow.feed.seq === reply.next) expect(same.status).toBe(304)
      for (let i = 0; i < 100 && slow.feed.seq === reply.next; i++) {
        await new Promise((r) => setTimeout(r, 20))
      }
      const newer = await fetch(url, { headers: { 'If-None-Match': etag } })
      expect(newer.status).toBe(200)
      const body = (await newer.json()) as PollReply
      expect(body.messages[0]).toMatchObject({ type: 'frame', seq: reply.next + 1 })
    } finally {
      await slow.close()
    }
  })
})

describe('long poll', () => {
  it('holds for at most wait seconds when nothing new can come (paused session)', async () => {
    const first = (await (await fetch(`${server.url}/poll/long?session=new`)).json()) as PollReply
    await fetch(`${server.url}/api/control`, {
      method: 'POST',
      body: JSON.stringify({ action: 'stop', session: first.session }),
    })
    const started = Date.now()
    const res = await fetch(
      `${server.url}/poll/long?epoch=${first.epoch}&since=${first.next}&wait=1&session=${first.session ?? ''}`,
    )
    const reply = (await res.json()) as PollReply
    expect(reply).toMatchObject({
      epoch: first.epoch,
      next: first.next,
      messages: [],
      session: first.session,
    })
    expect(Date.now() - started).toBeGreaterThanOrEqual(900)
  })
})

describe('SSE', () => {
  it('announces the session first and ids every feed event <epoch>:<seq>', async () => {
    const res = await fetch(`${server.url}/sse`)
    const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    for (let i = 0; i < 100 && (text.match(/\n\n/g) ?? []).length < 5; i++) {
      const chunk = await reader?.read()
      text += chunk?.value ?? ''
    }
    await reader?.cancel()
    const events = text.split('\n\n').filter((block) => block.includes('data:'))
    expect(events[0]).toMatch(/^event: ?session\ndata: ?\{"session":"[\w-]+"\}$/m)
    for (const event of events.slice(1, 4)) {
      const id = /^id: ?(.+)$/m.exec(event)?.[1]
      const seq = /"seq":(\d+)/.exec(event)?.[1]
      expect(id).toBe(`${server.feed.epoch}:${seq ?? ''}`)
    }
  })
})

describe('SSE resume by query', () => {
  it('accepts ?lastEventId=<epoch>:<seq> like the Last-Event-ID header', async () => {
    const since = server.feed.seq - 5
    const controller = new AbortController()
    const res = await fetch(`${server.url}/sse?lastEventId=${server.feed.epoch}:${since}`, {
      signal: controller.signal,
    })
    const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    for (let i = 0; i < 100 && !text.includes('"type":"frame"'); i++) {
      text += (await reader?.read())?.value ?? ''
    }
    controller.abort()
    expect(text).not.toContain('"type":"snapshot"')
    expect(/"type":"frame","epoch":"[^"]+","seq":(\d+)/.exec(text)?.[1]).toBe(String(since + 1))
  })
})

describe('/metrics', () => {
  it('exports the metric names the bench reads', async () => {
    const client = await openClient('websocket', server.url)
    await client.waitFor((m) => m.type === 'frame')
    const text = await (await fetch(`${server.url}/metrics`)).text()
    client.kill()
    expect(text).toMatch(/^realtime_clients\{protocol="websocket"\} 1$/m)
    expect(text).toMatch(/^realtime_frames_sent_total\{protocol="websocket"\} [1-9]\d*$/m)
    expect(text).toMatch(/^realtime_bytes_sent_total\{protocol="websocket"\} [1-9]\d*$/m)
    expect(text).toMatch(/^# TYPE realtime_slow_consumer_closes_total counter$/m)
    expect(text).toMatch(/^realtime_feed_seq [1-9]\d*$/m)
  })
})

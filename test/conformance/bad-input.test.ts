/**
 * Bad input on every entry point gets a clear error (status or close code, and an
 * `error` body naming the problem), and another client's stream keeps flowing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import type { ErrorMessage } from '../../servers/feed/messages.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { openClient, type FeedClient } from './feed-clients.ts'

let server: RunningServer
let watcher: FeedClient

beforeAll(async () => {
  server = await startServer({ port: 0, rate: 50, history: 100, serveSite: false })
  watcher = await openClient('websocket', server.url)
})

afterAll(async () => {
  watcher.kill()
  await server.close()
})

/** The watcher keeps receiving live frames after a bad input. */
async function expectWatcherFlows(): Promise<void> {
  const from = watcher.messages.length
  const frame = await watcher.waitFor((m) => m.type === 'frame', 3000, from)
  expect(frame.type).toBe('frame')
}

/** Open a WebSocket and wait for it to be open. */
async function openSocket(query = ''): Promise<{ ws: WebSocket; texts: string[] }> {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws${query}`)
  const texts: string[] = []
  ws.on('message', (data: Buffer) => texts.push(data.toString()))
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  return { ws, texts }
}

async function waitForText(texts: string[], match: (text: string) => boolean): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const found = texts.find(match)
    if (found !== undefined) return found
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('no matching message')
}

describe('WebSocket bad input', () => {
  it.each([
    ['malformed JSON', '{"type":', 'bad-json'],
    ['an unknown type', '{"type":"subscribe"}', 'unknown-type'],
    ['a ping without id', '{"type":"ping"}', 'bad-message'],
    ['a control with a bad action', '{"type":"control","action":"pause"}', 'bad-message'],
  ])('answers %s with an error message and keeps the socket open', async (_name, text, code) => {
    const { ws, texts } = await openSocket()
    ws.send(text)
    const reply = JSON.parse(
      await waitForText(texts, (t) => t.includes('"type":"error"')),
    ) as ErrorMessage
    expect(reply).toMatchObject({ type: 'error', code })
    expect(reply.message.length).toBeGreaterThan(10)
    ws.send('{"type":"ping","id":"still-open"}')
    await waitForText(texts, (t) => t.includes('"still-open"'))
    ws.close()
    await expectWatcherFlows()
  })

  it('closes with 1009 on a message over 64 KiB', async () => {
    const { ws } = await openSocket()
    const closed = new Promise<number>((resolve) => ws.once('close', resolve))
    ws.send('x'.repeat(64 * 1024 + 1))
    expect(await closed).toBe(1009)
    await expectWatcherFlows()
  })

  it.each([
    ['a non-numeric since', '?epoch=abc&since=x'],
    ['a negative since', '?epoch=abc&since=-1'],
    ['a huge since', '?epoch=abc&since=99999999999999999999'],
    ['since without epoch', '?since=3'],
    ['a repeated since', '?epoch=abc&since=1&since=2'],
    ['a repeated epoch', '?epoch=abc&epoch=def&since=1'],
  ])('refuses the upgrade with 400 on %s', async (_name, query) => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws${query}`)
    const status = await new Promise<number>((resolve) => {
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0)
        res.resume()
      })
      ws.once('error', () => {
        resolve(-1)
      })
    })
    expect(status).toBe(400)
    await expectWatcherFlows()
  })
})

describe('HTTP bad input', () => {
  const cases: [string, string, RequestInit, number, string][] = [
    [
      'SSE with a bad Last-Event-ID',
      '/sse',
      { headers: { 'Last-Event-ID': 'garbage' } },
      400,
      'bad-last-event-id',
    ],
    [
      'SSE with a non-numeric Last-Event-ID seq',
      '/sse',
      { headers: { 'Last-Event-ID': 'e:x' } },
      400,
      'bad-last-event-id',
    ],
    [
      'SSE with a repeated lastEventId query',
      '/sse?lastEventId=e:1&lastEventId=e:2',
      {},
      400,
      'bad-last-event-id',
    ],
    [
      'a long poll with a repeated epoch',
      '/poll/long?epoch=e&epoch=f&since=1',
      {},
      400,
      'bad-cursor',
    ],
    ['a long poll with a non-numeric since', '/poll/long?epoch=e&since=abc', {}, 400, 'bad-cursor'],
    ['a long poll with a negative since', '/poll/long?epoch=e&since=-5', {}, 400, 'bad-cursor'],
    ['a long poll with a huge since', '/poll/long?epoch=e&since=1e400', {}, 400, 'bad-cursor'],
    ['a long poll with a bad wait', '/poll/long?wait=forever', {}, 400, 'bad-wait'],
    ['a short poll with since but no epoch', '/poll/short?since=1', {}, 400, 'bad-cursor'],
    [
      'a short poll with a repeated since',
      '/poll/short?epoch=e&since=1&since=2',
      {},
      400,
      'bad-cursor',
    ],
    ['a poll with an unknown session', '/poll/short?session=nobody', {}, 404, 'unknown-session'],
    ['an unknown event id', '/api/events/EVENT%2399', {}, 404, 'unknown-event'],
    ['an unknown path', '/nowhere', {}, 404, 'not-found'],
    ['ping with malformed JSON', '/api/ping', { method: 'POST', body: '{"id":' }, 400, 'bad-json'],
    [
      'ping with a non-object body',
      '/api/ping',
      { method: 'POST', body: '[1]' },
      400,
      'bad-message',
    ],
    [
      'ping with an unknown type',
      '/api/ping',
      { method: 'POST', body: '{"type":"pong","id":1}' },
      400,
      'unknown-type',
    ],
    [
      'ping with a body over 64 KiB',
      '/api/ping',
      { method: 'POST', body: 'x'.repeat(70_000) },
      413,
      'too-big',
    ],
    [
      'control without session',
      '/api/control',
      { method: 'POST', body: '{"action":"stop"}' },
      400,
      'bad-session',
    ],
    [
      'control with an unknown session',
      '/api/control',
      { method: 'POST', body: '{"action":"stop","session":"nobody"}' },
      404,
      'unknown-session',
    ],
    [
      'control with a bad action',
      '/api/control',
      { method: 'POST', body: '{"action":"halt","session":"x"}' },
      400,
      'bad-message',
    ],
    ['DELETE on /sse', '/sse', { method: 'DELETE' }, 405, 'method-not-allowed'],
    ['POST on /poll/long', '/poll/long', { method: 'POST' }, 405, 'method-not-allowed'],
    ['PUT on /poll/short', '/poll/short', { method: 'PUT' }, 405, 'method-not-allowed'],
    ['GET on /api/ping', '/api/ping', {}, 405, 'method-not-allowed'],
    ['POST on /api/events', '/api/events', { method: 'POST' }, 405, 'method-not-allowed'],
  ]
  it.each(cases)('answers %s with a clear error', async (_name, path, init, status, code) => {
    const res = await fetch(`${server.url}${path}`, init)
    expect(res.status).toBe(status)
    const body = (await res.json()) as ErrorMessage
    expect(body).toMatchObject({ type: 'error', code })
    expect(body.message.length).toBeGreaterThan(10)
    if (status === 405) expect(res.headers.get('allow')).toMatch(/GET|POST/)
    await expectWatcherFlows()
  })

  it('keeps serving after all of it: health is ok', async () => {
    const res = await fetch(`${server.url}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ok', epoch: server.feed.epoch })
  })
})

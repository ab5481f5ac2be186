/**
 * The poll endpoints are served before express (`http/plain-routes.ts`). Every case of the
 * fault table a poll can meet is sent twice: as a plain target (the fast path) and with a
 * fragment appended, which the fast path leaves to express, where the same handler is
 * mounted. Both must give the same status, headers and body; the expected status is
 * asserted too, so a change in either path is caught.
 */
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../servers/main.ts'

let server: RunningServer

beforeAll(async () => {
  server = await startServer({
    port: 0,
    protocols: ['long-poll', 'short-poll'],
    serveSite: false,
    // A slow feed keeps the replies of the two requests of one case identical.
    rate: 1,
  })
})

afterAll(async () => {
  await server.close()
})

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function send(method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, method, path, headers, agent: false },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** Headers that say what a reply is (Date and the connection's own headers left out). */
function describeReply(reply: Reply) {
  const headers = { ...reply.headers }
  delete headers['date']
  delete headers['connection']
  delete headers['keep-alive']
  return { status: reply.status, headers, body: reply.body }
}

type Case = [name: string, method: string, path: string, status: number, code?: string]

function cases(): Case[] {
  const { epoch, seq } = server.feed
  const cursor = `epoch=${epoch}&since=${seq}`
  return [
    ['long poll, no cursor: snapshot', 'GET', '/poll/long', 200],
    ['long poll, wait=0 at the head', 'GET', `/poll/long?${cursor}&wait=0`, 200],
    ['long poll, HEAD', 'HEAD', '/poll/long', 200],
    ['long poll, upper case and trailing slash', 'GET', '/POLL/Long/', 200],
    ['long poll, epoch without since', 'GET', `/poll/long?epoch=${epoch}`, 400, 'bad-cursor'],
    [
      'long poll, since not a number',
      'GET',
      `/poll/long?epoch=${epoch}&since=x`,
      400,
      'bad-cursor',
    ],
    ['long poll, epoch twice', 'GET', `/poll/long?${cursor}&epoch=${epoch}`, 400, 'bad-cursor'],
    ['long poll, bad epoch', 'GET', '/poll/long?epoch=a.b&since=1', 400, 'bad-cursor'],
    ['long poll, wait over 60', 'GET', '/poll/long?wait=61', 400, 'bad-wait'],
    ['long poll, wait negative', 'GET', '/poll/long?wait=-1', 400, 'bad-wait'],
    ['long poll, malformed session', 'GET', '/poll/long?session=a%20b', 400, 'bad-session'],
    ['long poll, unknown session', 'GET', '/poll/long?session=abcdef', 404, 'unknown-session'],
    ['long poll, POST', 'POST', '/poll/long', 405, 'method-not-allowed'],
    ['long poll, DELETE', 'DELETE', '/poll/long', 405, 'method-not-allowed'],
    ['short poll, no cursor: snapshot', 'GET', '/poll/short', 200],
    ['short poll, cursor at the head', 'GET', `/poll/short?${cursor}`, 200],
    ['short poll, HEAD', 'HEAD', '/poll/short', 200],
    ['short poll, upper case', 'GET', '/POLL/SHORT', 200],
    ['short poll, since without epoch', 'GET', '/poll/short?since=3', 400, 'bad-cursor'],
    [
      'short poll, since too big',
      'GET',
      `/poll/short?epoch=${epoch}&since=99999999999999999`,
      400,
      'bad-cursor',
    ],
    ['short poll, malformed session', 'GET', '/poll/short?session=%2F', 400, 'bad-session'],
    ['short poll, unknown session', 'GET', '/poll/short?session=zzzzzz', 404, 'unknown-session'],
    ['short poll, PUT', 'PUT', '/poll/short', 405, 'method-not-allowed'],
  ]
}

describe('poll fast path', () => {
  it('answers every case as express does, with the expected status', async () => {
    for (const [name, method, path, status, code] of cases()) {
      const fast = describeReply(await send(method, path))
      const viaExpress = describeReply(await send(method, `${path}#via-express`))
      expect({ name, ...fast }).toEqual({ name, ...viaExpress })
      expect({ name, status: fast.status }).toEqual({ name, status })
      if (code !== undefined) {
        expect(JSON.parse(fast.body)).toMatchObject({ type: 'error', code })
        expect(fast.headers['content-type']).toBe('application/json; charset=utf-8')
      }
      if (status === 405) expect(fast.headers['allow']).toBe('GET')
      if (status === 200) {
        expect(fast.headers['content-type']).toBe('application/json; charset=utf-8')
        expect(fast.headers['cache-control']).toBe(
          path.toLowerCase().startsWith('/poll/long') ? 'no-store' : 'no-cache',
        )
      }
    }
  })

  it('keeps ETag and 304 on the short poll', async () => {
    const { epoch, seq } = server.feed
    const path = `/poll/short?epoch=${epoch}&since=${seq}`
    const first = await send('GET', path)
    expect(first.status).toBe(200)
    expect(first.headers['etag']).toBe(`"${epoch}:${seq}"`)
    const again = await send('GET', path, { 'If-None-Match': `"${epoch}:${seq}"` })
    if (server.feed.seq === seq) {
      expect(again.status).toBe(304)
      expect(again.body).toBe('')
      expect(again.headers['etag']).toBe(`"${epoch}:${seq}"`)
      expect(again.headers['cache-control']).toBe('no-cache')
    } else {
      // A tick fell between the two requests: then there is something new to send.
      expect(again.status).toBe(200)
    }
    const stale = await send('GET', '/poll/short', { 'If-None-Match': '"other:1"' })
    expect(stale.status).toBe(200)
  })
})

/**
 * `k6/http` of one VU against the real reference server (port 0): k6's Response surface,
 * the metrics and tags it records, error codes, and the hard stop.
 */
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../../servers/main.ts'
import { MetricSink } from '../metric-sink.ts'
import type { SeriesBatch } from '../metric-types.ts'
import { ScriptMisuseError, VuContext } from '../vu-context.ts'
import type { HttpResponse } from './http.ts'
import { createHttpModule } from './http.ts'

type AsyncRequest = (
  method: string,
  url: string,
  body?: string | null,
  params?: Record<string, unknown> | null,
) => Promise<HttpResponse>

let server: RunningServer

beforeAll(async () => {
  // 2 Hz: slow enough that a poll right after another usually finds nothing new (304).
  server = await startServer({ port: 0, rate: 2, serveSite: false })
})

afterAll(async () => {
  await server.close()
})

function newVu(): {
  vu: VuContext
  sink: MetricSink
  asyncRequest: AsyncRequest
  module: Record<string, unknown>
} {
  const sink = new MetricSink(false)
  const vu = new VuContext({
    id: 1,
    scenario: undefined,
    scenarioStartTime: Date.now(),
    sink,
    env: {},
  })
  const module = createHttpModule(vu)
  return { vu, sink, asyncRequest: module['asyncRequest'] as AsyncRequest, module }
}

function find(batches: SeriesBatch[], metric: string): SeriesBatch[] {
  return batches.filter((batch) => batch.metric.name === metric)
}

describe('k6/http asyncRequest', () => {
  it('returns k6 Response fields and answers a matching If-None-Match with 304 on one connection', async () => {
    const { asyncRequest, sink, vu } = newVu()
    const first = await asyncRequest('GET', `${server.url}/poll/short`, null, {
      tags: { name: 'poll-short' },
    })
    expect(first.status).toBe(200)
    expect(first.status_text).toBe('200 OK')
    expect(first.error).toBe('')
    expect(first.error_code).toBe(0)
    expect(first.url).toBe(`${server.url}/poll/short`)
    expect(first.headers['Content-Type']).toMatch(/application\/json/)
    const reply = first.json() as { epoch: string; next: number; messages: unknown[] }
    expect(reply.messages.length).toBeGreaterThan(0)
    const etag = first.headers['Etag']
    expect(etag).toBe(`"${reply.epoch}:${reply.next}"`)
    // A new tick between the two polls makes a 200: try a few times for a 304.
    let status = 0
    let cursor = `epoch=${encodeURIComponent(reply.epoch)}&since=${reply.next}`
    for (let attempt = 0; attempt < 5 && status !== 304; attempt++) {
      const again = await asyncRequest('GET', `${server.url}/poll/short?${cursor}`, null, {
        headers: { 'If-None-Match': etag ?? '' },
        tags: { name: 'poll-short' },
      })
      status = again.status
      if (status === 304) {
        expect(again.body).toBe('')
        expect(again.headers['Etag']).toBe(etag)
      } else {
        const next = again.json() as { next: number }
        cursor = `epoch=${encodeURIComponent(reply.epoch)}&since=${next.next}`
      }
    }
    expect(status).toBe(304)
    const batches = sink.cut()
    const reqs = find(batches, 'http_reqs')
    expect(reqs.map((batch) => batch.tags['status']).sort()).toContain('304')
    const ok = reqs.find((batch) => batch.tags['status'] === '200')
    expect(ok?.tags).toEqual({
      method: 'GET',
      status: '200',
      url: `${server.url}/poll/short`,
      name: 'poll-short',
      expected_response: 'true',
    })
    expect(find(batches, 'http_req_failed').every((batch) => batch.nonZero === 0)).toBe(true)
    const received = find(batches, 'data_received')[0]?.sum ?? 0
    const sent = find(batches, 'data_sent')[0]?.sum ?? 0
    // Wire bytes: heads included, so more than the bodies alone.
    expect(received).toBeGreaterThan(first.body?.length ?? 0)
    expect(sent).toBeGreaterThan(`GET /poll/short HTTP/1.1\r\n\r\n`.length)
    const durations = find(batches, 'http_req_duration')
    expect(durations.reduce((n, batch) => n + batch.count, 0)).toBe(
      reqs.reduce((n, batch) => n + batch.count, 0),
    )
    vu.releaseAll()
  })

  it('holds a long poll until the next frame', async () => {
    const { asyncRequest, vu } = newVu()
    const first = await asyncRequest('GET', `${server.url}/poll/long?wait=2`)
    const reply = first.json() as { epoch: string; next: number }
    const held = await asyncRequest(
      'GET',
      `${server.url}/poll/long?epoch=${encodeURIComponent(reply.epoch)}&since=${reply.next}&wait=2`,
    )
    expect(held.status).toBe(200)
    expect(held.timings.waiting).toBeGreaterThan(0)
    expect(held.timings.duration).toBeGreaterThanOrEqual(held.timings.waiting)
    vu.releaseAll()
  })

  it('reports a refused connection with k6 error_code 1212, tagged, and counts it failed', async () => {
    const { asyncRequest, sink } = newVu()
    const res = await asyncRequest('GET', 'http://127.0.0.1:9/x?y=1')
    expect(res.status).toBe(0)
    expect(res.error_code).toBe(1212)
    expect(res.error).toBe('dial: connection refused')
    expect(res.body).toBeNull()
    const batches = sink.cut()
    expect(find(batches, 'http_reqs')[0]?.tags).toMatchObject({
      status: '0',
      url: 'http://127.0.0.1:9/x',
      error: 'dial: connection refused',
      error_code: '1212',
      expected_response: 'false',
    })
    expect(find(batches, 'http_req_failed')[0]?.nonZero).toBe(1)
  })

  it('ends a request in flight when the VU is stopped hard', async () => {
    // A server that accepts and never answers: the request can only end by the stop.
    const silent = createServer((socket) => {
      socket.on('error', () => undefined)
      // Read (and drop) so the client's close reaches this side and close() can finish.
      socket.resume()
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const address = silent.address() as AddressInfo
    const { asyncRequest, vu } = newVu()
    const pending = asyncRequest('GET', `http://127.0.0.1:${address.port}/poll/long`)
    setTimeout(() => {
      vu.releaseAll()
    }, 50)
    const res = await pending
    expect(res.status).toBe(0)
    expect(res.error).toBe('request interrupted: VU stopped')
    await new Promise<void>((resolve) =>
      silent.close(() => {
        resolve()
      }),
    )
  })

  it('refuses the synchronous calls, naming the async replacement', () => {
    const { module } = newVu()
    expect(() => (module['get'] as () => unknown)()).toThrow(ScriptMisuseError)
    expect(() => (module['del'] as () => unknown)()).toThrow(
      /await http\.asyncRequest\('DELETE', url, body, params\)/,
    )
  })
})

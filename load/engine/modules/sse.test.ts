/**
 * `k6/x/sse` of one VU against the real reference server (port 0): events, the response
 * `open` resolves with, and a resume with Last-Event-ID.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../../servers/main.ts'
import { MetricSink } from '../metric-sink.ts'
import { VuContext } from '../vu-context.ts'
import { createSseModule } from './sse.ts'

interface Client {
  on(name: string, handler: (value: unknown) => void): void
  close(): void
}
type Open = (
  url: string,
  params: Record<string, unknown> | null,
  setup: (client: Client) => void,
) => Promise<{ status: number; headers: Record<string, string>; error: string }>
interface Event {
  id: string
  name: string
  data: string
}

let server: RunningServer

beforeAll(async () => {
  server = await startServer({ port: 0, rate: 20, serveSite: false })
})

afterAll(async () => {
  await server.close()
})

function newVu(): { open: Open; sink: MetricSink; vu: VuContext } {
  const sink = new MetricSink(false)
  const vu = new VuContext({
    id: 1,
    scenario: undefined,
    scenarioStartTime: Date.now(),
    sink,
    env: {},
  })
  return { open: createSseModule(vu)['open'] as Open, sink, vu }
}

/** Opens /sse, keeps copies of the first `count` feed events (those with an id), then closes. */
async function read(
  open: Open,
  count: number,
  headers: Record<string, string> = {},
): Promise<{ events: Event[]; opened: boolean; status: number; error: string }> {
  const events: Event[] = []
  let opened = false
  const response = await open(
    `${server.url}/sse`,
    { headers, tags: { protocol: 'sse' } },
    (client) => {
      client.on('open', () => {
        opened = true
      })
      client.on('event', (value) => {
        const event = value as Event
        if (event.id !== '') events.push({ ...event })
        if (events.length >= count) client.close()
      })
    },
  )
  return { events, opened, status: response.status, error: response.error }
}

describe('k6/x/sse open', () => {
  it('streams feed events with their ids and resolves with the response when closed', async () => {
    const { open, sink } = newVu()
    const { events, opened, status, error } = await read(open, 3)
    expect(opened).toBe(true)
    expect(status).toBe(200)
    expect(error).toBe('')
    expect(events).toHaveLength(3)
    for (const event of events) {
      expect(event.id).toMatch(/^[^:]+:\d+$/)
      expect(event.data.startsWith('{"type":')).toBe(true)
    }
    const batches = sink.cut()
    const counted = batches.find((batch) => batch.metric.name === 'sse_event')
    expect(counted?.count).toBeGreaterThanOrEqual(3)
    expect(counted?.tags).toEqual({ url: `${server.url}/sse`, protocol: 'sse' })
    expect(batches.find((batch) => batch.metric.name === 'data_received')?.sum).toBeGreaterThan(0)
  })

  it('resumes after the Last-Event-ID it sends on reopen, losing no frame', async () => {
    const { open } = newVu()
    const first = await read(open, 2)
    const last = first.events.at(-1)?.id ?? ''
    const [epoch, seq] = last.split(':')
    // Let the feed move on, then resume: the first event is the frame right after `last`.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const resumed = await read(open, 3, { 'Last-Event-ID': last })
    expect(resumed.events[0]?.id).toBe(`${epoch}:${Number(seq) + 1}`)
    expect(resumed.events[1]?.id).toBe(`${epoch}:${Number(seq) + 2}`)
  })

  it('emits an error and resolves when the server refuses the connection', async () => {
    const { open } = newVu()
    const errors: string[] = []
    const response = await open('http://127.0.0.1:9/sse', null, (client) => {
      client.on('error', (value) => {
        errors.push((value as { error(): string }).error())
      })
    })
    expect(errors).toEqual(['dial: connection refused'])
    expect(response.error).toBe('dial: connection refused')
    expect(response.status).toBe(0)
  })

  it('reports a non-200 reply as an error with the status', async () => {
    const { open } = newVu()
    const errors: string[] = []
    const response = await open(`${server.url}/sse?lastEventId=bad`, null, (client) => {
      client.on('error', (value) => {
        errors.push((value as { error(): string }).error())
      })
    })
    expect(response.status).toBe(400)
    expect(errors).toEqual(['unexpected status 400'])
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { PollReply } from '../feed/messages.ts'
import { startBaselineServer, type RunningBaselineServer } from './main.ts'

let server: RunningBaselineServer

beforeAll(async () => {
  server = await startBaselineServer({ port: 0, rateHz: 20 })
})
afterAll(async () => {
  await server.close()
})

interface Head {
  type: string
  epoch: string
  seq: number
  t: number
}

function firstMessages(url: string, count: number): Promise<{ raw: string[]; parsed: Head[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    const raw: string[] = []
    const timer = setTimeout(() => {
      ws.terminate()
      reject(new Error(`only ${raw.length} of ${count} messages within 5 s`))
    }, 5000)
    ws.on('message', (data: Buffer) => {
      raw.push(data.toString('utf8'))
      if (raw.length === count) {
        clearTimeout(timer)
        ws.close()
        resolve({ raw, parsed: raw.map((r) => JSON.parse(r) as Head) })
      }
    })
    ws.on('error', reject)
  })
}

describe('baseline server', () => {
  it('sends a snapshot, then frames whose seq rises, in the shared wire format', async () => {
    const { raw, parsed } = await firstMessages(`${server.url.replace('http', 'ws')}/ws`, 5)
    expect(parsed[0]?.type).toBe('snapshot')
    expect(parsed.slice(1).every((m) => m.type === 'frame')).toBe(true)
    for (let i = 1; i < parsed.length; i++) {
      expect(parsed[i]?.seq).toBeGreaterThan(parsed[i - 1]?.seq ?? Infinity)
    }
    // The load scripts read type, epoch, seq and t by position, without JSON.parse.
    expect(raw[1]).toMatch(/^\{"type":"frame","epoch":"naive-[0-9a-f]+","seq":\d+,"t":[\d.]+,/)
  })

  it('replays the frames a short poll missed, exactly once and in order', async () => {
    const first = (await (await fetch(`${server.url}/poll/short`)).json()) as PollReply
    await new Promise((resolve) => setTimeout(resolve, 300))
    const since = first.next
    const reply = (await (
      await fetch(`${server.url}/poll/short?epoch=${first.epoch}&since=${since}`)
    ).json()) as PollReply
    const seqs = reply.messages.map((m) => ('seq' in m ? m.seq : -1))
    expect(seqs.length).toBeGreaterThan(0)
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => since + 1 + i))
    expect(reply.next).toBe(seqs.at(-1))
  })

  it('answers a foreign epoch with a reset and a snapshot', async () => {
    const reply = (await (
      await fetch(`${server.url}/poll/short?epoch=other&since=3`)
    ).json()) as PollReply
    expect(reply.messages.map((m) => m.type)).toEqual(['reset', 'snapshot'])
    expect(reply.messages[0]).toMatchObject({ reason: 'unknown-epoch' })
  })

  it('rejects a malformed cursor with 400 and a message naming it, and stays up', async () => {
    const bad = await fetch(`${server.url}/poll/long?epoch=x&since=abc`)
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { message: string }).message).toMatch(
      /since must be a non-negative integer/,
    )
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
  })

  it('holds a long poll at the head until the next frame exists', async () => {
    const head = (await (await fetch(`${server.url}/poll/short`)).json()) as PollReply
    const reply = (await (
      await fetch(`${server.url}/poll/long?epoch=${head.epoch}&since=${head.next}&wait=5`)
    ).json()) as PollReply
    expect(reply.next).toBeGreaterThan(head.next)
    expect(reply.messages[0]).toMatchObject({ type: 'frame', seq: head.next + 1 })
  })

  it('exposes the reference server’s metric names', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text()
    for (const name of [
      'realtime_clients',
      'realtime_frames_sent_total',
      'realtime_bytes_sent_total',
      'realtime_feed_seq',
    ]) {
      expect(text).toContain(`# TYPE ${name}`)
    }
  })
})

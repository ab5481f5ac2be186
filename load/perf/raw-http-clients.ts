/**
 * Baseline for the HTTP cost benchmark (http-cost.ts): N bare node:http clients in one
 * process doing what a scenario's VUs do on the wire and nothing more — long polls back to
 * back, short polls once per interval with `If-None-Match`, or one SSE stream parsed with
 * eventsource-parser — counting requests and messages. This is how the engine's k6/http and
 * k6/x/sse worked before the lean clients (node:http, a keep-alive agent).
 *
 *   node load/perf/raw-http-clients.ts <base-url> <long-poll|short-poll|sse> <clients> <seconds> [ramp-seconds] [poll-interval-ms]
 *
 * Prints `{"t","requests","messages"}` once per second, so the parent can cut its window.
 */
import { Agent, request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { createParser } from 'eventsource-parser'
import { bareClientsArgs, runBareClients } from '../kit/bare-clients.ts'
import { countFeedMessages, readFeedNumber, readFeedString } from '../lib/feed-header.ts'

const [baseUrl, mode, clientsText, secondsText, rampText, intervalText] = process.argv.slice(2)
const USAGE =
  'raw-http-clients.ts <base-url> <long-poll|short-poll|sse> <clients> <seconds> [ramp-seconds] [poll-interval-ms]'
if (baseUrl === undefined || (mode !== 'long-poll' && mode !== 'short-poll' && mode !== 'sse'))
  throw new Error(`usage: ${USAGE}`)
const base: string = baseUrl
const plan = bareClientsArgs(clientsText, secondsText, rampText, USAGE)
const intervalMs = Number(intervalText ?? '1000')
const endAt = Date.now() + plan.runMs
const agent = new Agent({ keepAlive: true, maxSockets: Infinity })
let requests = 0
let messages = 0
let stopped = false

interface Reply {
  status: number
  headers: IncomingMessage['headers']
  body: string
}

function get(path: string, headers: Record<string, string>): Promise<Reply | undefined> {
  return new Promise((resolve) => {
    const outgoing = request(`${base}${path}`, { agent, headers, timeout: 35_000 }, (incoming) => {
      const chunks: Buffer[] = []
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
      incoming.on('end', () => {
        requests++
        resolve({
          status: incoming.statusCode ?? 0,
          headers: incoming.headers,
          body: Buffer.concat(chunks).toString(),
        })
      })
      incoming.on('error', () => {
        resolve(undefined)
      })
    })
    outgoing.on('timeout', () => outgoing.destroy())
    outgoing.on('error', () => {
      resolve(undefined)
    })
    outgoing.end()
  })
}

/** Reads `next` and the message count of a poll reply the way the scenarios do: indexOf, no JSON.parse. */
function readReply(body: string): { epoch: string; next: number } {
  messages += countFeedMessages(body)
  return { epoch: readFeedString(body, '"epoch":"', 0), next: readFeedNumber(body, '"next":', 0) }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
}

async function longPoll(): Promise<void> {
  let cursor = ''
  while (!stopped && Date.now() < endAt) {
    const reply = await get(`/poll/long?${cursor}wait=25`, {})
    if (reply?.status !== 200) {
      await pause(100)
      continue
    }
    const { epoch, next } = readReply(reply.body)
    if (!Number.isNaN(next)) cursor = `epoch=${encodeURIComponent(epoch)}&since=${next}&`
  }
}

async function shortPoll(): Promise<void> {
  let cursor = ''
  const headers: Record<string, string> = {}
  while (!stopped && Date.now() < endAt) {
    const sentAt = Date.now()
    const reply = await get(`/poll/short${cursor}`, headers)
    if (reply?.status === 200) {
      const { epoch, next } = readReply(reply.body)
      if (!Number.isNaN(next)) cursor = `?epoch=${encodeURIComponent(epoch)}&since=${next}`
      const etag = reply.headers.etag
      if (etag !== undefined) headers['If-None-Match'] = etag
    }
    await pause(sentAt + intervalMs - Date.now())
  }
}

function sse(): void {
  const parser = createParser({
    onEvent() {
      messages++
    },
  })
  const outgoing = request(
    `${base}/sse`,
    { headers: { Accept: 'text/event-stream' } },
    (incoming) => {
      requests++
      incoming.setEncoding('utf8')
      incoming.on('data', (chunk: string) => {
        parser.feed(chunk)
      })
      incoming.on('error', () => undefined)
    },
  )
  outgoing.on('error', (error: Error) => {
    // A refused or dropped stream is reported, not fatal: the count shows it.
    if (!stopped) process.stderr.write(`bare sse client: ${error.message}\n`)
  })
  outgoing.end()
}

function open(): void {
  if (mode === 'sse') sse()
  else void (mode === 'long-poll' ? longPoll() : shortPoll())
}

runBareClients({
  ...plan,
  open,
  counts: () => ({ requests, messages }),
  stop() {
    stopped = true
  },
})

/**
 * Bare poll clients for the benchmarks: each a keep-alive connection of the engine's own
 * HTTP/1.1 client (`load/engine/wire/http-client.ts`: chunked and Content-Length bodies, no
 * k6 around it) sending `GET /poll/long` or `GET /poll/short`, the cursor read from each
 * reply's head (`load/lib/feed-header.ts`), so the load process stays cheap and every measured
 * cost is the server's. A long-poll client asks again as soon as it is answered; a short-poll
 * client once per interval with `If-None-Match`.
 */
import { HttpClient, type HttpResult } from '../../load/engine/wire/http-client.ts'
import { readFeedNumber, readFeedString } from '../../load/lib/feed-header.ts'
import { PROTOCOL_TABLE } from '../transports/protocols.ts'
import type { Load } from './measure.ts'

/** Which poll and how. */
export interface PollLoadOptions {
  url: string
  protocol: 'long-poll' | 'short-poll'
  clients: number
  rampMs: number
  /** Short poll: time between one client's requests. */
  intervalMs: number
}

/** One keep-alive poll client. */
class PollClient {
  readonly #http = new HttpClient()
  readonly #url: string
  #epoch = ''
  #next = NaN
  #etag: string | undefined
  readonly #onReply: (status: number) => void
  readonly #onFault: () => void
  readonly #received = (result: HttpResult): void => {
    this.#read(result)
  }

  constructor(options: PollLoadOptions, onReply: (status: number) => void, onFault: () => void) {
    this.#url = `${options.url}${PROTOCOL_TABLE[options.protocol].path}`
    this.#onReply = onReply
    this.#onFault = onFault
  }

  /** Send one poll with the cursor and validator of the last reply. */
  poll(): void {
    const cursor =
      this.#epoch === '' || Number.isNaN(this.#next)
        ? ''
        : `?epoch=${this.#epoch}&since=${String(this.#next)}`
    this.#http.send(
      {
        method: 'GET',
        url: `${this.#url}${cursor}`,
        headers: this.#etag === undefined ? undefined : { 'If-None-Match': this.#etag },
        timeoutMs: 0,
      },
      this.#received,
    )
  }

  close(): void {
    this.#http.close('benchmark over')
  }

  #read(result: HttpResult): void {
    if (result.status === 0) {
      this.#onFault()
      return
    }
    if (result.status === 200 && result.body !== null) {
      const epoch = readFeedString(result.body, '"epoch":"', 0)
      const next = readFeedNumber(result.body, '"next":', 0)
      if (epoch !== '' && !Number.isNaN(next)) {
        this.#epoch = epoch
        this.#next = next
      }
      this.#etag = result.headers['Etag']
    }
    this.#onReply(result.status)
  }
}

/** Open the poll clients; resolves once every client has had its first reply. */
export async function openPollClients(options: PollLoadOptions): Promise<Load> {
  let replies = 0
  let faults = 0
  let waiting = options.clients
  let ready: () => void = () => undefined
  const allReady = new Promise<void>((resolve) => {
    ready = resolve
  })
  const clients: PollClient[] = []
  const timers: NodeJS.Timeout[] = []
  let closed = false
  const start = (index: number): void => {
    let first = true
    const client: PollClient = new PollClient(
      options,
      (status) => {
        if (status === 200 || status === 304) replies++
        else faults++
        if (first) {
          first = false
          if (--waiting === 0) ready()
        }
        if (options.protocol === 'long-poll' && !closed) client.poll()
      },
      () => {
        if (!closed) faults++
      },
    )
    clients.push(client)
    client.poll()
    if (options.protocol === 'short-poll') {
      // Spread the clients' phases over the interval, as independent pollers would be.
      const phase = (options.intervalMs * index) / options.clients
      timers.push(
        setTimeout(() => {
          timers.push(
            setInterval(() => {
              client.poll()
            }, options.intervalMs),
          )
        }, phase),
      )
    }
  }
  for (let i = 0; i < options.clients; i++) {
    timers.push(
      setTimeout(
        () => {
          start(i)
        },
        (options.rampMs * i) / options.clients,
      ),
    )
  }
  await allReady
  return {
    done: () => replies,
    faults: () => faults,
    close: () => {
      closed = true
      for (const timer of timers) clearTimeout(timer)
      for (const client of clients) client.close()
    },
  }
}

/**
 * Bare poll clients for the benchmarks: raw keep-alive TCP sockets that send hand-written
 * `GET /poll/long` or `GET /poll/short` requests and read the replies with a minimal
 * HTTP/1.1 parser (status, `Content-Length`, body), so the load process stays cheap and
 * every measured cost is the server's. A long-poll client asks again as soon as it is
 * answered; a short-poll client asks once per interval with `If-None-Match`.
 */
import { connect, type Socket } from 'node:net'
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

const HEAD_END = Buffer.from('\r\n\r\n')
const CURSOR = /"epoch":"([^"]+)","next":(\d+)/

/** One keep-alive poll client. */
class PollClient {
  readonly #socket: Socket
  readonly #path: string
  readonly #host: string
  #pending: Buffer = Buffer.alloc(0)
  #epoch: string | undefined
  #next: number | undefined
  #etag: string | undefined
  #onReply: (status: number) => void

  constructor(options: PollLoadOptions, onReply: (status: number) => void, onFault: () => void) {
    const { hostname, port } = new URL(options.url)
    this.#host = hostname
    this.#path = options.protocol === 'long-poll' ? '/poll/long' : '/poll/short'
    this.#onReply = onReply
    this.#socket = connect({ host: hostname, port: Number(port) })
    this.#socket.on('data', (chunk: Buffer) => {
      this.#read(chunk)
    })
    this.#socket.on('error', onFault)
  }

  /** Send one poll with the cursor and validator of the last reply. */
  poll(): void {
    const cursor =
      this.#epoch === undefined || this.#next === undefined
        ? ''
        : `?epoch=${this.#epoch}&since=${this.#next}`
    const validator = this.#etag === undefined ? '' : `If-None-Match: ${this.#etag}\r\n`
    this.#socket.write(
      `GET ${this.#path}${cursor} HTTP/1.1\r\nHost: ${this.#host}\r\n${validator}\r\n`,
    )
  }

  close(): void {
    this.#socket.destroy()
  }

  #read(chunk: Buffer): void {
    let pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
    for (;;) {
      const headEnd = pending.indexOf(HEAD_END)
      if (headEnd === -1) break
      const head = pending.subarray(0, headEnd).toString('latin1')
      const status = Number(head.slice(9, 12))
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? '0')
      const bodyStart = headEnd + HEAD_END.length
      if (pending.length < bodyStart + length) break
      if (status === 200) {
        const match = CURSOR.exec(pending.subarray(bodyStart, bodyStart + 120).toString('latin1'))
        if (match !== null) {
          this.#epoch = match[1]
          this.#next = Number(match[2])
        }
        this.#etag = /\r\netag: *(\S+)/i.exec(head)?.[1]
      }
      pending = pending.subarray(bodyStart + length)
      this.#onReply(status)
    }
    this.#pending = pending
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

/**
 * A tiny server that mounts the labs exactly as the integration contract says (router at
 * `/labs`, one 'upgrade' dispatcher asking `handleUpgrade` first), plus WebSocket and SSE
 * test clients that queue every message so a test can wait for the one it expects.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { WebSocket } from 'ws'
import { createParser } from 'eventsource-parser'
import { createLabs, type Labs } from '../../servers/labs/index.ts'
import type { CreateLabsOptions } from '../../servers/labs/labs.ts'

/** A running lab server on a port chosen by the system. */
export interface LabHarness {
  readonly labs: Labs
  readonly server: Server
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string
  /** `ws://127.0.0.1:<port>` */
  readonly wsUrl: string
  /** Closes the labs, then the server. */
  close(): Promise<void>
}

/** Starts the harness on port 0. */
export async function startLabHarness(options: CreateLabsOptions = {}): Promise<LabHarness> {
  const labs = createLabs(options)
  const app = express()
  app.use('/labs', labs.router)
  const server = createServer(app)
  server.on('upgrade', (request, socket, head) => {
    if (labs.handleUpgrade(request, socket, head)) return
    // Not a lab path: the main server would try its own transports; here nothing else exists.
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    labs,
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    async close() {
      await labs.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve()
        }),
      )
    },
  }
}

/** A message as the tests read it: any JSON object. */
export type LabMessage = Record<string, unknown> & { type?: unknown }

const WAIT_MS = 5000

/** Queues messages and hands out the first one matching a predicate. */
class MessageQueue {
  readonly received: LabMessage[] = []
  #cursor = 0
  readonly #waiters = new Set<() => void>()

  push(message: LabMessage): void {
    this.received.push(message)
    for (const wake of this.#waiters) wake()
  }

  /** Resolves with the next unread message matching `match` (earlier unread ones are skipped). */
  next(match: (message: LabMessage) => boolean, what: string): Promise<LabMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        while (this.#cursor < this.received.length) {
          const message = this.received[this.#cursor++] as LabMessage
          if (match(message)) {
            resolve(message)
            return true
          }
        }
        return false
      }
      if (check()) return
      const timer = setTimeout(() => {
        this.#waiters.delete(wake)
        reject(new Error(`no ${what} within ${WAIT_MS} ms; got ${JSON.stringify(this.received)}`))
      }, WAIT_MS)
      const wake = (): void => {
        if (check()) {
          clearTimeout(timer)
          this.#waiters.delete(wake)
        }
      }
      this.#waiters.add(wake)
    })
  }

  /** Next message of `type`. */
  nextOfType(type: string): Promise<LabMessage> {
    return this.next((message) => message.type === type, `"${type}" message`)
  }
}

/** A `ws` client that queues parsed JSON messages. */
export class LabSocket extends MessageQueue {
  readonly socket: WebSocket
  readonly binary: Buffer[] = []
  readonly closed: Promise<{ code: number; reason: string }>

  private constructor(socket: WebSocket) {
    super()
    this.socket = socket
    socket.on('message', (data, isBinary) => {
      const bytes = data as Buffer
      if (isBinary) this.binary.push(bytes)
      else this.push(JSON.parse(bytes.toString()) as LabMessage)
    })
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() })
      })
    })
  }

  /** Opens `url` and resolves once open. */
  static async open(url: string): Promise<LabSocket> {
    const socket = new WebSocket(url)
    const client = new LabSocket(socket)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => {
        resolve()
      })
      socket.once('error', reject)
    })
    return client
  }

  /** Sends an object as JSON, or a string as is. */
  send(message: object | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message))
  }

  close(): void {
    this.socket.close(1000)
  }
}

/** An SSE client on fetch that queues parsed JSON events; its upstream is POST. */
export class LabStream extends MessageQueue {
  readonly #abort = new AbortController()
  readonly #postUrl: string
  session = ''
  readonly ended: Promise<void>

  private constructor(postUrl: string, body: ReadableStream<Uint8Array>) {
    super()
    this.#postUrl = postUrl
    const parser = createParser({
      onEvent: (event) => {
        this.push(JSON.parse(event.data) as LabMessage)
      },
    })
    this.ended = (async () => {
      const decoder = new TextDecoder()
      try {
        for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }))
      } catch {
        // Aborted by close(): the stream simply ends.
      }
    })()
  }

  /** Opens `GET <baseUrl>/labs/<lab>/sse<query>` and resolves after the hello message. */
  static async open(baseUrl: string, lab: string, query = ''): Promise<LabStream> {
    const abort = new AbortController()
    const response = await fetch(`${baseUrl}/labs/${lab}/sse${query}`, { signal: abort.signal })
    if (response.body === null) throw new Error(`no body: ${response.status}`)
    const stream = new LabStream(`${baseUrl}/labs/${lab}`, response.body)
    stream.#abort.signal.addEventListener('abort', () => {
      abort.abort()
    })
    const hello = await stream.nextOfType('hello')
    stream.session = String(hello['session'])
    return stream
  }

  /** POSTs a message (an object as JSON, a string as is) with this stream's session. */
  async post(message: object | string): Promise<{ status: number; body: LabMessage }> {
    const response = await fetch(`${this.#postUrl}?session=${this.session}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: typeof message === 'string' ? message : JSON.stringify(message),
    })
    return { status: response.status, body: (await response.json()) as LabMessage }
  }

  close(): void {
    this.#abort.abort()
  }
}

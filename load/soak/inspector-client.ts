/**
 * A minimal Chrome DevTools Protocol client for a Node process started with
 * `--inspect=127.0.0.1:0`: the soak uses it to force a full GC in the server and read the
 * heap that survives, and to stream heap snapshots to a file, without adding any debug
 * endpoint to the server itself.
 */
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { WebSocket } from 'ws'

/** Heap figures of `Runtime.getHeapUsage`, in bytes. */
export interface HeapUsage {
  /** Bytes of the V8 heap in use (after `collectGarbage`: the heap that survives a full GC). */
  usedSize: number
  /** Bytes V8 has reserved for the heap. */
  totalSize: number
}

/** One answer or event of the protocol, as far as this client reads it. */
interface ProtocolMessage {
  id?: number
  method?: string
  params?: Record<string, unknown>
  result?: Record<string, unknown>
  error?: { code: number; message: string }
}

const DEBUGGER_LINE = /Debugger listening on (ws:\/\/\S+)/

/**
 * Reads the inspector's WebSocket URL from a child's stderr text, or `null` while the
 * `Debugger listening on ws://…` line has not arrived yet.
 */
export function inspectorUrlFrom(stderrText: string): string | null {
  return DEBUGGER_LINE.exec(stderrText)?.[1] ?? null
}

/** Default bound on one protocol call; a heap snapshot of a large heap takes the longest. */
const CALL_TIMEOUT_MS = 120_000

/** A DevTools Protocol session over the inspector's WebSocket. */
export class InspectorClient {
  readonly #socket: WebSocket
  #nextId = 1
  readonly #pending = new Map<
    number,
    { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }
  >()
  readonly #listeners = new Map<string, (params: Record<string, unknown>) => void>()

  private constructor(socket: WebSocket) {
    this.#socket = socket
    socket.on('message', (data: Buffer) => {
      this.#onMessage(data)
    })
    socket.on('close', () => {
      for (const { reject } of this.#pending.values()) {
        reject(new Error('inspector connection closed before the answer'))
      }
      this.#pending.clear()
    })
  }

  /** Opens a session to `url` (`ws://127.0.0.1:<port>/<uuid>` from the child's stderr). */
  static async connect(url: string): Promise<InspectorClient> {
    const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 2 ** 20 })
    await once(socket, 'open')
    return new InspectorClient(socket)
  }

  #onMessage(data: Buffer): void {
    const message = JSON.parse(data.toString('utf8')) as ProtocolMessage
    if (message.id !== undefined) {
      const pending = this.#pending.get(message.id)
      if (pending === undefined) return
      this.#pending.delete(message.id)
      if (message.error !== undefined) {
        pending.reject(
          new Error(`inspector: ${message.error.message} (${String(message.error.code)})`),
        )
      } else {
        pending.resolve(message.result ?? {})
      }
      return
    }
    if (message.method !== undefined) this.#listeners.get(message.method)?.(message.params ?? {})
  }

  /** Sends one protocol command and resolves with its `result`; rejects with its `error`. */
  async call(
    method: string,
    params: Record<string, unknown> = {},
    timeoutMs = CALL_TIMEOUT_MS,
  ): Promise<Record<string, unknown>> {
    const id = this.#nextId++
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error(`inspector: ${method} had no answer within ${String(timeoutMs)} ms`))
      }, timeoutMs)
      this.#pending.set(id, {
        resolve: (result) => {
          clearTimeout(timer)
          resolve(result)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      })
    })
    this.#socket.send(JSON.stringify({ id, method, params }))
    return answer
  }

  /** Runs a full garbage collection in the target, then reads the heap that survived it. */
  async heapAfterGc(): Promise<HeapUsage> {
    await this.call('HeapProfiler.collectGarbage')
    const usage = await this.call('Runtime.getHeapUsage')
    const { usedSize, totalSize } = usage
    if (typeof usedSize !== 'number' || typeof totalSize !== 'number') {
      throw new Error(
        `inspector: Runtime.getHeapUsage answered without sizes: ${JSON.stringify(usage)}`,
      )
    }
    return { usedSize, totalSize }
  }

  /**
   * Takes a heap snapshot of the target and streams its chunks to `file` (a `.heapsnapshot`
   * that Chrome DevTools opens). Resolves with the bytes written.
   */
  async takeHeapSnapshot(file: string): Promise<number> {
    const out = createWriteStream(file)
    let bytes = 0
    this.#listeners.set('HeapProfiler.addHeapSnapshotChunk', (params) => {
      const chunk = params['chunk']
      if (typeof chunk !== 'string') return
      bytes += Buffer.byteLength(chunk)
      out.write(chunk)
    })
    try {
      // Chunks arrive as events before the command's answer, so all are written by then.
      await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false })
    } finally {
      this.#listeners.delete('HeapProfiler.addHeapSnapshotChunk')
      out.end()
      await once(out, 'finish')
    }
    return bytes
  }

  /** Closes the session (the target keeps running). */
  close(): void {
    this.#socket.close()
  }
}

/**
 * `k6/x/sse` (xk6-sse's API): `open(url, params, setup)` opens an event stream; `setup`
 * registers `open`/`event`/`error` handlers on the client and may `close()` it. Unlike
 * xk6-sse, whose `open` blocks, this `open` returns a promise that resolves with the
 * response when the stream closes, so scripts `await` it. The stream runs on a lean socket
 * (wire/sse-stream.ts: raw `net` socket, de-chunking, eventsource-parser); each event
 * counts in `sse_event`, and the bytes read in `data_received`.
 */
import type { VuContext, VuResource } from '../vu-context.ts'
import type { HttpFailure } from '../wire/http-errors.ts'
import { openSseStream } from '../wire/sse-stream.ts'
import type { SseStream } from '../wire/sse-stream.ts'

/** One event as xk6-sse hands it to the script. */
interface SseEvent {
  id: string
  name: string
  data: string
}

interface SseParams {
  method?: string
  headers?: Record<string, string>
  body?: string
  tags?: Record<string, string>
}

/** What `open` resolves with when the stream is over. */
interface SseResponse {
  status: number
  headers: Record<string, string>
  error: string
}

type Handler = (value: unknown) => void

/** Builds the `k6/x/sse` module of one VU. */
export function createSseModule(vu: VuContext): Record<string, unknown> {
  const events = vu.metric('sse_event', 'counter')
  const dataReceived = vu.metric('data_received', 'counter', 'data')

  function open(
    url: string,
    params: SseParams | null,
    setup: (client: unknown) => void,
  ): Promise<SseResponse> {
    const query = url.indexOf('?')
    const tags = { url: query === -1 ? url : url.slice(0, query), ...params?.tags }
    const eventSeries = vu.series(events, tags)
    const bytesSeries = vu.series(dataReceived, tags)
    const handlers = new Map<string, Handler[]>()
    let stream: SseStream | undefined
    // An object, not a let: TypeScript cannot see the closures that set it.
    const state = { closedByScript: false }
    let settle: (() => void) | undefined
    const response: SseResponse = { status: 0, headers: {}, error: '' }
    const emit = (name: string, value: unknown): void => {
      const list = handlers.get(name)
      if (list !== undefined) for (const handler of list) handler(value)
    }
    const client = {
      on(name: string, handler: Handler): void {
        const list = handlers.get(name)
        if (list === undefined) handlers.set(name, [handler])
        else list.push(handler)
      },
      close(): void {
        state.closedByScript = true
        stream?.close()
        settle?.()
      },
    }
    setup(client)
    if (state.closedByScript) return Promise.resolve(response)
    return new Promise((resolve) => {
      const resource: VuResource = {
        release: () => {
          client.close()
        },
      }
      let done = false
      settle = () => {
        if (done) return
        done = true
        vu.resources.delete(resource)
        resolve(response)
      }
      vu.resources.add(resource)
      // One event object per stream, refilled for each event (xk6-sse hands out a fresh
      // one; scripts that keep it past the handler must copy it).
      const event: SseEvent = { id: '', name: '', data: '' }
      stream = openSseStream(
        url,
        {
          method: params?.method ?? 'GET',
          headers: { Accept: 'text/event-stream', ...params?.headers },
          body: params?.body,
        },
        {
          onHead(status, headers) {
            response.status = status
            response.headers = headers
            if (status === 200) {
              emit('open', undefined)
            } else {
              response.error = `unexpected status ${status}`
              emit('error', { error: () => response.error })
            }
          },
          onEvent(message) {
            eventSeries.add(1)
            event.id = message.id ?? ''
            event.name = message.event ?? ''
            event.data = message.data
            emit('event', event)
          },
          onBytes(bytes) {
            bytesSeries.add(bytes)
          },
          onClose(failure: HttpFailure | undefined) {
            if (failure !== undefined && !state.closedByScript) {
              response.error = failure.message
              emit('error', { error: () => failure.message })
            }
            settle?.()
          },
        },
      )
    })
  }
  const module = { open }
  return { ...module, default: module }
}

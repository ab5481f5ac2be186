/**
 * `k6/x/sse` (xk6-sse's API): `open(url, params, setup)` opens an event stream; `setup`
 * registers `open`/`event`/`error` handlers on the client and may `close()` it. Unlike
 * xk6-sse, whose `open` blocks, this `open` returns a promise that resolves with the
 * response when the stream closes, so scripts `await` it. Events are parsed with
 * eventsource-parser; each one counts in `sse_event` and `data_received`.
 */
import { request as httpRequest } from 'node:http'
import type { ClientRequest, IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { createParser } from 'eventsource-parser'
import type { VuContext, VuResource } from '../vu-context.ts'
import { canonicalHeader } from './http.ts'

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

type Handler = (value: unknown) => void

/** Builds the `k6/x/sse` module of one VU. */
export function createSseModule(vu: VuContext): Record<string, unknown> {
  const events = vu.metric('sse_event', 'counter')
  const dataReceived = vu.metric('data_received', 'counter', 'data')

  function open(
    url: string,
    params: SseParams | null,
    setup: (client: unknown) => void,
  ): Promise<{ status: number; headers: Record<string, string>; error: string }> {
    const tags = { url: url.split('?')[0] ?? url, ...params?.tags }
    const eventSeries = vu.series(events, tags)
    const bytesSeries = vu.series(dataReceived, tags)
    const handlers = new Map<string, Handler[]>()
    let outgoing: ClientRequest | undefined
    let closed = false
    const response = { status: 0, headers: {} as Record<string, string>, error: '' }
    const emit = (name: string, value: unknown): void => {
      for (const handler of handlers.get(name) ?? []) handler(value)
    }
    const client = {
      on(name: string, handler: Handler): void {
        handlers.set(name, [...(handlers.get(name) ?? []), handler])
      },
      close(): void {
        closed = true
        outgoing?.destroy()
      },
    }
    setup(client)
    return new Promise((resolve) => {
      const resource: VuResource = {
        release: () => {
          client.close()
        },
      }
      let done = false
      const finish = (): void => {
        if (done) return
        done = true
        vu.resources.delete(resource)
        resolve(response)
      }
      if (closed) {
        finish()
        return
      }
      vu.resources.add(resource)
      const target = new URL(url)
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest
      const request = send(target, {
        method: params?.method ?? 'GET',
        headers: { Accept: 'text/event-stream', ...params?.headers },
      })
      outgoing = request
      const event: SseEvent = { id: '', name: '', data: '' }
      const parser = createParser({
        onEvent(message) {
          eventSeries.add(1)
          event.id = message.id ?? ''
          event.name = message.event ?? ''
          event.data = message.data
          emit('event', event)
        },
      })
      request.on('response', (incoming: IncomingMessage) => {
        response.status = incoming.statusCode ?? 0
        for (const [name, value] of Object.entries(incoming.headers)) {
          if (value !== undefined)
            response.headers[canonicalHeader(name)] = Array.isArray(value)
              ? value.join(', ')
              : value
        }
        if (response.status !== 200) {
          response.error = `unexpected status ${response.status}`
          emit('error', { error: () => response.error })
          request.destroy()
          finish()
          return
        }
        emit('open', undefined)
        incoming.setEncoding('utf8')
        incoming.on('data', (chunk: string) => {
          bytesSeries.add(chunk.length)
          parser.feed(chunk)
        })
        incoming.on('end', finish)
        incoming.on('close', finish)
        incoming.on('error', () => {
          finish()
        })
      })
      request.on('error', (error: Error) => {
        if (!closed) {
          response.error = error.message
          emit('error', { error: () => error.message })
        }
        finish()
      })
      request.on('close', finish)
      request.end(params?.body)
    })
  }
  const module = { open }
  return { ...module, default: module }
}

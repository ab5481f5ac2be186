/**
 * `k6/http`: `asyncRequest` over node:http with a keep-alive agent, reporting k6's
 * `http_reqs`, `http_req_duration`, `http_req_failed`, `data_received`, `data_sent`. The
 * synchronous calls (`get`, `post`, … , `batch`) throw at once naming the async
 * replacement: they would block every VU of the worker.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { durationMs } from '../duration.ts'
import type { VuContext, VuResource } from '../vu-context.ts'
import { ScriptMisuseError } from '../vu-context.ts'

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: Infinity })
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: Infinity })

/** k6's default request timeout. */
const DEFAULT_TIMEOUT_MS = 60_000

/** The k6 Response fields scripts read. */
export interface HttpResponse {
  status: number
  status_text: string
  body: string | null
  headers: Record<string, string>
  error: string
  error_code: number
  url: string
  timings: {
    duration: number
    waiting: number
    receiving: number
    sending: number
    connecting: number
    blocked: number
    tls_handshaking: number
  }
  json(): unknown
}

interface RequestParams {
  headers?: Record<string, string>
  tags?: Record<string, string>
  timeout?: string | number
  responseType?: 'text' | 'binary' | 'none'
}

/** Go's canonical header form (`etag` → `Etag`), as k6 reports response headers. */
export function canonicalHeader(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase())
    .join('-')
}

const SYNC_CALLS = [
  'get',
  'post',
  'put',
  'del',
  'patch',
  'head',
  'options',
  'request',
  'batch',
] as const

/** Builds the `k6/http` module of one VU. */
export function createHttpModule(vu: VuContext): Record<string, unknown> {
  const reqs = vu.metric('http_reqs', 'counter')
  const duration = vu.metric('http_req_duration', 'trend', 'time')
  const waiting = vu.metric('http_req_waiting', 'trend', 'time')
  const failed = vu.metric('http_req_failed', 'rate')
  const dataReceived = vu.metric('data_received', 'counter', 'data')
  const dataSent = vu.metric('data_sent', 'counter', 'data')

  function asyncRequest(
    method: string,
    url: string,
    body?: string | null,
    params?: RequestParams | null,
  ): Promise<HttpResponse> {
    const timeoutMs =
      params?.timeout === undefined
        ? DEFAULT_TIMEOUT_MS
        : typeof params.timeout === 'number'
          ? params.timeout
          : durationMs(params.timeout)
    const target = new URL(url)
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest
    const started = performance.now()
    const payload = body ?? undefined
    return new Promise((resolve) => {
      let firstByte = 0
      let settled = false
      const finish = (
        status: number,
        text: string | null,
        headers: Record<string, string>,
        error: string,
        bytesIn: number,
      ): void => {
        if (settled) return
        settled = true
        vu.resources.delete(resource)
        const total = performance.now() - started
        const tags: Record<string, string> = {
          method: method.toUpperCase(),
          status: String(status),
          url: url.split('?')[0] ?? url,
          name: params?.tags?.['name'] ?? url.split('?')[0] ?? url,
          expected_response: String(status >= 200 && status < 400),
          ...params?.tags,
        }
        if (error !== '') tags['error'] = error
        vu.series(reqs, tags).add(1)
        vu.series(duration, tags).add(total)
        vu.series(waiting, tags).add(firstByte === 0 ? total : firstByte - started)
        vu.series(failed, tags).add(status >= 200 && status < 400 ? 0 : 1)
        vu.series(dataReceived).add(bytesIn)
        vu.series(dataSent).add(payload === undefined ? 0 : Buffer.byteLength(payload))
        resolve({
          status,
          status_text: status === 0 ? '' : String(status),
          body: text,
          headers,
          error,
          error_code: error === '' ? 0 : 1000,
          url,
          timings: {
            duration: total,
            waiting: firstByte === 0 ? total : firstByte - started,
            receiving: 0,
            sending: 0,
            connecting: 0,
            blocked: 0,
            tls_handshaking: 0,
          },
          json(): unknown {
            return JSON.parse(text ?? 'null')
          },
        })
      }
      const outgoing = send(target, {
        method: method.toUpperCase(),
        headers: params?.headers,
        agent: target.protocol === 'https:' ? httpsAgent : httpAgent,
        timeout: timeoutMs,
      })
      const resource: VuResource = {
        release() {
          outgoing.destroy(new Error('request interrupted: VU stopped'))
        },
      }
      vu.resources.add(resource)
      outgoing.on('response', (incoming: IncomingMessage) => {
        firstByte = performance.now()
        const chunks: Buffer[] = []
        let bytes = 0
        incoming.on('data', (chunk: Buffer) => {
          chunks.push(chunk)
          bytes += chunk.length
        })
        incoming.on('end', () => {
          const headers: Record<string, string> = {}
          for (const [name, value] of Object.entries(incoming.headers)) {
            if (value !== undefined)
              headers[canonicalHeader(name)] = Array.isArray(value) ? value.join(', ') : value
          }
          const text =
            params?.responseType === 'none' ? null : Buffer.concat(chunks, bytes).toString()
          finish(incoming.statusCode ?? 0, text, headers, '', bytes)
        })
        incoming.on('error', (error: Error) => {
          finish(0, null, {}, error.message, bytes)
        })
      })
      outgoing.on('timeout', () => {
        outgoing.destroy(new Error(`request timeout after ${timeoutMs}ms`))
      })
      outgoing.on('error', (error: Error) => {
        finish(0, null, {}, error.message, 0)
      })
      outgoing.end(payload)
    })
  }

  const module: Record<string, unknown> = { asyncRequest }
  for (const call of SYNC_CALLS) {
    module[call] = () => {
      const verb =
        call === 'del'
          ? 'DELETE'
          : call === 'request' || call === 'batch'
            ? '<METHOD>'
            : call.toUpperCase()
      throw new ScriptMisuseError(
        `http.${call}() is synchronous and would block every VU of the event loop; the built-in engine runs event-loop scripts only: use \`await http.asyncRequest('${verb}', url, body, params)\` instead`,
      )
    }
  }
  return { ...module, default: module }
}

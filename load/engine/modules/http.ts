/**
 * `k6/http`: `asyncRequest` over the VU's own keep-alive connections (wire/http-client.ts:
 * raw sockets for `http:`, node:https for `https:`), reporting k6's `http_reqs`,
 * `http_req_duration`, `http_req_waiting`, `http_req_failed`, `data_received` and
 * `data_sent`. The synchronous calls (`get`, `post`, … , `batch`) throw at once naming the
 * async replacement: they would block every VU of the worker.
 */
import { durationMs } from '../duration.ts'
import type { SeriesBuffer } from '../metric-sink.ts'
import type { MetricDefinition } from '../metric-types.ts'
import type { VuContext, VuResource } from '../vu-context.ts'
import { ScriptMisuseError } from '../vu-context.ts'
import { HttpClient } from '../wire/http-client.ts'
import type { HttpResult, HttpTimings } from '../wire/http-client.ts'
import { canonicalHeaderName } from '../wire/http-response-parser.ts'

/** k6's default request timeout, ms. */
const DEFAULT_TIMEOUT_MS = 60_000

/** Go's canonical header form (`etag` → `Etag`), as k6 reports response headers. */
export const canonicalHeader: (name: string) => string = canonicalHeaderName

interface RequestParams {
  headers?: Record<string, string>
  tags?: Record<string, string>
  timeout?: string | number
  responseType?: 'text' | 'binary' | 'none'
}

/** The k6 Response fields scripts read. */
export class HttpResponse {
  readonly status: number
  readonly status_text: string
  readonly body: string | null
  readonly headers: Record<string, string>
  readonly error: string
  readonly error_code: number
  readonly url: string
  readonly timings: HttpTimings

  constructor(result: HttpResult, url: string) {
    this.status = result.status
    this.status_text = result.statusText
    this.body = result.body
    this.headers = result.headers
    this.error = result.error
    this.error_code = result.errorCode
    this.url = url
    this.timings = result.timings
  }

  /** The body parsed as JSON (throws on a null or non-JSON body, as k6's does). */
  json(): unknown {
    if (this.body === null) throw new Error('the response has no body to parse as JSON')
    return JSON.parse(this.body)
  }
}

/** The per-request series of one tag set (looked up once per tag set, not per request). */
interface RequestSeries {
  reqs: SeriesBuffer
  duration: SeriesBuffer
  waiting: SeriesBuffer
  failed: SeriesBuffer
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

// Stands for "no tags given" as a WeakMap key.
const NO_TAGS: object = Object.freeze({})

// Scripts pass the same timeout string request after request: parse it once.
let lastTimeoutText = ''
let lastTimeoutMs = DEFAULT_TIMEOUT_MS

function timeoutOf(params: RequestParams | null | undefined): number {
  const timeout = params?.timeout
  if (timeout === undefined) return DEFAULT_TIMEOUT_MS
  if (typeof timeout === 'number') return timeout
  if (timeout !== lastTimeoutText) {
    lastTimeoutMs = durationMs(timeout)
    lastTimeoutText = timeout
  }
  return lastTimeoutMs
}

/** The last request shape a VU recorded, and its series. */
interface LastShape {
  scriptTags: Record<string, string> | undefined
  status: number
  errorCode: number
  error: string
  method: string
  url: string
  series: RequestSeries
}

/**
 * One VU's request series by tag set. Series per script tags object, then per
 * method/status/url/error: scripts pass one params object again and again, so the common path
 * is one comparison with the last shape, else two map lookups. A tags object is read when
 * first seen: a script that edits one in place should pass a new one instead.
 */
class RequestSeriesCache {
  readonly #vu: VuContext
  readonly #reqs: MetricDefinition
  readonly #duration: MetricDefinition
  readonly #waiting: MetricDefinition
  readonly #failed: MetricDefinition
  readonly #byTags = new WeakMap<object, Map<string, RequestSeries>>()
  #last: LastShape | undefined

  constructor(vu: VuContext) {
    this.#vu = vu
    this.#reqs = vu.metric('http_reqs', 'counter')
    this.#duration = vu.metric('http_req_duration', 'trend', 'time')
    this.#waiting = vu.metric('http_req_waiting', 'trend', 'time')
    this.#failed = vu.metric('http_req_failed', 'rate')
  }

  /** The series of a request of `method` to `url` (query dropped) that gave `result`. */
  get(
    method: string,
    url: string,
    result: HttpResult,
    scriptTags: Record<string, string> | undefined,
  ): RequestSeries {
    // A VU repeats one request shape: compare with the last one before building a key.
    const last = this.#last
    if (
      last !== undefined &&
      last.scriptTags === scriptTags &&
      last.status === result.status &&
      last.errorCode === result.errorCode &&
      last.error === result.error &&
      last.method === method &&
      last.url === url
    ) {
      return last.series
    }
    const tagsKey = scriptTags ?? NO_TAGS
    let byKey = this.#byTags.get(tagsKey)
    if (byKey === undefined) {
      byKey = new Map()
      this.#byTags.set(tagsKey, byKey)
    }
    const key = `${method} ${result.status} ${result.errorCode} ${url} ${result.error}`
    let series = byKey.get(key)
    if (series === undefined) {
      series = this.#create(method, url, result, scriptTags)
      byKey.set(key, series)
    }
    this.#last = {
      scriptTags,
      status: result.status,
      errorCode: result.errorCode,
      error: result.error,
      method,
      url,
      series,
    }
    return series
  }

  #create(
    method: string,
    url: string,
    result: HttpResult,
    scriptTags: Record<string, string> | undefined,
  ): RequestSeries {
    const ok = result.status >= 200 && result.status < 400
    const tags: Record<string, string> = {
      method,
      status: String(result.status),
      url,
      name: scriptTags?.['name'] ?? url,
      expected_response: String(ok),
      ...scriptTags,
    }
    if (result.error !== '') tags['error'] = result.error
    if (result.errorCode !== 0) tags['error_code'] = String(result.errorCode)
    const vu = this.#vu
    return {
      reqs: vu.series(this.#reqs, tags),
      duration: vu.series(this.#duration, tags),
      waiting: vu.series(this.#waiting, tags),
      failed: vu.series(this.#failed, tags),
    }
  }
}

/** k6's synchronous calls, each throwing at once with the `asyncRequest` call to use. */
function syncCallStubs(): Record<string, () => never> {
  const stubs: Record<string, () => never> = {}
  for (const call of SYNC_CALLS) {
    stubs[call] = () => {
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
  return stubs
}

/** Builds the `k6/http` module of one VU. */
export function createHttpModule(vu: VuContext): Record<string, unknown> {
  const requestSeries = new RequestSeriesCache(vu)
  const received = vu.series(vu.metric('data_received', 'counter', 'data'))
  const sent = vu.series(vu.metric('data_sent', 'counter', 'data'))
  const client = new HttpClient()
  let registered = false
  const resource: VuResource = {
    release() {
      registered = false
      client.close('request interrupted: VU stopped')
    },
  }

  function record(
    verb: string,
    url: string,
    result: HttpResult,
    scriptTags: Record<string, string> | undefined,
  ): void {
    // The url tag drops the query so resume cursors do not make one series per request.
    const query = url.indexOf('?')
    const urlTag = query === -1 ? url : url.slice(0, query)
    const series = requestSeries.get(verb, urlTag, result, scriptTags)
    series.reqs.add(1)
    series.duration.add(result.timings.duration)
    series.waiting.add(result.timings.waiting)
    series.failed.add(result.status >= 200 && result.status < 400 ? 0 : 1)
    received.add(result.bytesReceived)
    sent.add(result.bytesSent)
  }

  function asyncRequest(
    method: string,
    url: string,
    body?: string | null,
    params?: RequestParams | null,
  ): Promise<HttpResponse> {
    const verb = method.toUpperCase()
    if (!registered) {
      registered = true
      vu.resources.add(resource)
    }
    const spec = {
      method: verb,
      url,
      headers: params?.headers,
      body: body ?? undefined,
      timeoutMs: timeoutOf(params),
      discardBody: params?.responseType === 'none',
    }
    return new Promise((resolve, reject) => {
      try {
        client.send(spec, (result) => {
          record(verb, url, result, params?.tags)
          resolve(new HttpResponse(result, url))
        })
      } catch (error: unknown) {
        reject(error instanceof Error ? error : new Error(String(error)))
      }
    })
  }

  const module: Record<string, unknown> = { asyncRequest, ...syncCallStubs() }
  return { ...module, default: module }
}

/**
 * `HEAD` on a streaming path answers the headers a `GET` gets and no body, so a request
 * pipelined after it on the same connection is answered too. The SSE stream's bytes go
 * straight to the socket, past Node's HEAD handling: before, HEAD /sse got the raw event
 * stream with no status line, and the lab streams held the connection forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { headThenHealth } from './raw-http.ts'

let server: RunningServer

beforeAll(async () => {
  server = await startServer({ port: 0, rate: 20, serveSite: false })
})
afterAll(async () => {
  await server.close()
})

describe.each(['/sse', '/labs/echo/sse'])('HEAD %s', (path) => {
  it('answers the headers a GET gets, no body, and then the request pipelined after it', async () => {
    const [head, health] = await headThenHealth(server.port, path)
    expect(head).toMatch(/^HTTP\/1\.1 200 /)
    expect(head).toMatch(/content-type: text\/event-stream/i)
    expect(head).toMatch(/x-accel-buffering: no/i)
    // Nothing after the blank line that ends the headers: no event, no retry field.
    expect(head?.endsWith('\r\n\r\n')).toBe(true)
    expect(health).toMatch(/^HTTP\/1\.1 200 /)
    expect(health).toContain('"status":"ok"')
    const get = await fetch(`${server.url}${path}`)
    const headerNames = (text: string) =>
      text
        .split('\r\n')
        .slice(1)
        .map((line) => line.split(':')[0]?.toLowerCase())
        .filter((name) => name !== undefined && name !== '' && name !== 'date')
    expect(headerNames(head ?? '')).toEqual(
      expect.arrayContaining(['content-type', 'cache-control', 'x-accel-buffering']),
    )
    expect(get.headers.get('content-type')).toBe(/content-type: ([^\r]+)/i.exec(head ?? '')?.[1])
    expect(get.headers.get('cache-control')).toBe(/cache-control: ([^\r]+)/i.exec(head ?? '')?.[1])
    await get.body?.cancel()
  })
})

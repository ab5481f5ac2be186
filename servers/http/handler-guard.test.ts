import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { HandlerGuard } from './handler-guard.ts'
import { memoryLog } from './log.ts'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise((resolve) => {
          server.closeAllConnections()
          server.close(resolve)
        }),
    ),
  )
})

async function listen(server: Server): Promise<string> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `127.0.0.1:${String((server.address() as AddressInfo).port)}`
}

async function counted(registry: Registry, handler: string): Promise<number> {
  const metric = await registry.getSingleMetric('realtime_handler_errors_total')?.get()
  return metric?.values.find((value) => value.labels['handler'] === handler)?.value ?? 0
}

describe('HandlerGuard', () => {
  it('answers a request whose listener throws with 500 internal, logs it once and counts it', async () => {
    const registry = new Registry()
    const { log, events } = memoryLog()
    const guard = new HandlerGuard(registry, log)
    const host = await listen(
      createServer(
        guard.request('request', (req, res) => {
          if (req.url === '/boom') throw new Error('bug on purpose')
          res.end('fine')
        }),
      ),
    )
    const boom = await fetch(`http://${host}/boom`)
    expect(boom.status).toBe(500)
    expect(await boom.json()).toMatchObject({ type: 'error', code: 'internal' })
    expect(await (await fetch(`http://${host}/`)).text()).toBe('fine')
    // One JSON line: which handler, from which peer, the fault code, the error with its stack.
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      level: 50,
      handler: 'request',
      peer: '127.0.0.1',
      code: 'internal',
      msg: 'handler threw: the peer was answered, the server goes on',
      err: { message: 'bug on purpose' },
    })
    expect(String((events[0]?.['err'] as { stack?: string }).stack)).toContain('bug on purpose')
    expect(await counted(registry, 'request')).toBe(1)
  })

  it('answers a rejected async listener with 500 as well', async () => {
    const registry = new Registry()
    const guard = new HandlerGuard(registry, memoryLog().log)
    const host = await listen(
      createServer(
        guard.request('request', async () => {
          await Promise.resolve()
          throw new Error('async bug')
        }),
      ),
    )
    expect((await fetch(`http://${host}/`)).status).toBe(500)
    expect(await counted(registry, 'request')).toBe(1)
  })

  it('answers an upgrade whose listener throws before writing with 500, and the server goes on', async () => {
    const registry = new Registry()
    const guard = new HandlerGuard(registry, memoryLog().log)
    const server = createServer((_req, res) => res.end('up'))
    server.on(
      'upgrade',
      guard.upgrade('upgrade', () => {
        throw new Error('bug in the handshake')
      }),
    )
    const host = await listen(server)
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://${host}/ws`)
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0)
      })
      ws.on('error', () => undefined)
    })
    expect(status).toBe(500)
    expect(await (await fetch(`http://${host}/`)).text()).toBe('up')
    expect(await counted(registry, 'upgrade')).toBe(1)
  })

  it('hands a throwing callback to its answer and counts it under its own name', async () => {
    const registry = new Registry()
    const guard = new HandlerGuard(registry, memoryLog().log)
    const answered: unknown[] = []
    const onMessage = guard.callback(
      'websocket message',
      (text: string) => {
        if (text === 'bad') throw new TypeError('cannot read')
      },
      (error) => answered.push(error),
    )
    onMessage('good')
    onMessage('bad')
    expect(answered).toHaveLength(1)
    expect(answered[0]).toBeInstanceOf(TypeError)
    expect(await counted(registry, 'websocket message')).toBe(1)
  })
})

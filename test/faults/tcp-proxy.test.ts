import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { FaultProxy } from './tcp-proxy.ts'

let echo: Server
let proxy: FaultProxy
const clients: Socket[] = []

beforeAll(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => undefined)
    socket.pipe(socket)
  })
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve))
  const address = echo.address()
  if (address === null || typeof address === 'string') throw new Error('echo server not listening')
  proxy = await FaultProxy.start(address.port)
})

afterEach(() => {
  proxy.set({ delayMs: 0, bytesPerS: 0, paused: false })
  for (const client of clients.splice(0)) client.destroy()
})

afterAll(async () => {
  await proxy.close()
  echo.close()
})

async function open(): Promise<Socket> {
  const url = new URL(proxy.url)
  const socket = connect(Number(url.port), url.hostname)
  socket.on('error', () => undefined)
  clients.push(socket)
  await once(socket, 'connect')
  return socket
}

/** Resolves with the ms taken until `bytes` bytes came back. */
async function roundTrip(socket: Socket, payload: Buffer): Promise<number> {
  const started = performance.now()
  let received = 0
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      received += chunk.length
      if (received >= payload.length) {
        socket.off('data', onData)
        resolve()
      }
    }
    socket.on('data', onData)
    socket.write(payload)
  })
  return performance.now() - started
}

describe('FaultProxy', () => {
  it('forwards bytes both ways unchanged', async () => {
    const socket = await open()
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    await roundTrip(socket, Buffer.from('hello through the proxy'))
    expect(Buffer.concat(chunks).toString()).toBe('hello through the proxy')
  })

  it('adds the configured delay in each direction', async () => {
    const socket = await open()
    proxy.set({ delayMs: 100 })
    expect(await roundTrip(socket, Buffer.from('x'))).toBeGreaterThanOrEqual(190)
  })

  it('caps the bandwidth', async () => {
    const socket = await open()
    proxy.set({ bytesPerS: 40_000 })
    // 20 kB each way at 40 kB/s cannot come back in less than ~0.5 s.
    expect(await roundTrip(socket, Buffer.alloc(20_000, 1))).toBeGreaterThanOrEqual(400)
  })

  it('holds bytes while paused and delivers them all when resumed', async () => {
    const socket = await open()
    proxy.set({ paused: true })
    let received = 0
    socket.on('data', (chunk: Buffer) => (received += chunk.length))
    socket.write(Buffer.alloc(5_000, 2))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(received).toBe(0)
    expect(proxy.queuedBytes).toBe(5_000)
    proxy.set({ paused: false })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(received).toBe(5_000)
  })

  it('cuts connections with a FIN', async () => {
    const socket = await open()
    const ended = once(socket, 'end')
    proxy.cutAll()
    await ended
    expect(socket.readableEnded).toBe(true)
  })

  it('resets connections with an RST', async () => {
    const socket = await open()
    const error = new Promise<NodeJS.ErrnoException>((resolve) => socket.once('error', resolve))
    proxy.resetAll()
    expect((await error).code).toBe('ECONNRESET')
  })
})

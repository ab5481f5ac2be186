import { afterEach, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from './server-process.ts'

const started: ServerProcess[] = []
afterEach(async () => {
  for (const server of started.splice(0)) await server.stop('SIGKILL')
})

describe('startServerProcess', () => {
  it('starts the reference server on a port of its own, reads its banner, CPU and counters, and stops it gracefully', async () => {
    const server = await startServerProcess({ args: ['--rate', '50', '--protocols', 'sse'] })
    started.push(server)
    expect(server.url).toBe(`http://127.0.0.1:${String(server.port)}`)
    expect(server.port).toBeGreaterThan(0)
    expect(server.epoch).toMatch(/\S+/)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    const usage = server.usage()
    expect(usage.cpuS).toBeGreaterThan(0)
    expect(usage.rssBytes).toBeGreaterThan(10 * 2 ** 20)
    // One SSE client makes the frames counter move.
    const controller = new AbortController()
    const stream = await fetch(`${server.url}/sse`, { signal: controller.signal })
    const reader = stream.body?.getReader()
    await reader?.read()
    await new Promise((done) => setTimeout(done, 300))
    expect(await server.counter('realtime_frames_sent_total', 'sse')).toBeGreaterThan(0)
    controller.abort()
    await server.stop()
    expect(await server.exited).toBe(0)
  })

  it('starts the baseline design, which announces no epoch', async () => {
    const server = await startServerProcess({ design: 'baseline' })
    started.push(server)
    expect(server.epoch).toBeNull()
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  it('rejects with the server’s own output when it exits before its banner', async () => {
    await expect(startServerProcess({ args: ['--rate', 'fast'] })).rejects.toThrow(
      /server exited \(\d+\) before its banner:[\s\S]*rate/,
    )
  })
})

import { afterEach, describe, expect, it } from 'vitest'
import { startServerProcess, type ServerProcess } from '../../load/kit/server-process.ts'
import { openStreamClients } from './stream-clients.ts'

const started: ServerProcess[] = []
afterEach(async () => {
  for (const server of started.splice(0)) await server.stop('SIGKILL')
})

describe('openStreamClients', () => {
  it.each(['sse', 'websocket'] as const)(
    'opens every %s client, counts the frames the server wrote to them, and closes without faults',
    async (kind) => {
      const server = await startServerProcess({ args: ['--rate', '50', '--protocols', kind] })
      started.push(server)
      const load = await openStreamClients(kind, server.url, 4, 100)
      await new Promise((done) => setTimeout(done, 1000))
      const sent = await server.counter('realtime_frames_sent_total', kind)
      const counted = load.done()
      // The clients read what the server wrote (a frame or two per client may be in flight).
      expect(counted).toBeGreaterThan(4 * 20)
      expect(Math.abs(sent - counted)).toBeLessThanOrEqual(4 * 2)
      load.close()
      await new Promise((done) => setTimeout(done, 100))
      expect(load.faults()).toBe(0)
    },
  )

  it('settles and counts a fault for each client the server refuses', async () => {
    const server = await startServerProcess({ args: ['--protocols', 'sse'] })
    started.push(server)
    // The WebSocket transport is off: every upgrade is refused, and the load still settles.
    const load = await openStreamClients('websocket', server.url, 3, 0)
    expect(load.faults()).toBe(3)
    expect(load.done()).toBe(0)
    load.close()
  })
})

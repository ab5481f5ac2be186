/**
 * The Redis connection of a bus process: fails fast at start (a wrong `--bus` is an error,
 * not a silent wait), then reconnects for ever with a capped back-off once it has been up.
 */
import { createClient } from 'redis'
import { BUS_DEFAULTS } from './feed-source.ts'
import type { BusClient } from './redis-epoch.ts'

/**
 * Connect to `url`. Commands sent while the link is down fail at once
 * (`disableOfflineQueue`): the ticker queues frames itself and the reader retries.
 * @throws Error naming the URL when Redis cannot be reached at start.
 */
export async function connectBusClient(url: string): Promise<BusClient> {
  let connected = false
  const client: BusClient = createClient({
    url,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number, cause: Error) =>
        connected ? Math.min(50 * 2 ** Math.min(retries, 10), BUS_DEFAULTS.reconnectMaxMs) : cause,
    },
    disableOfflineQueue: true,
  })
  // node-redis emits 'error' on every failed attempt; without a listener it would throw.
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (error) {
    client.destroy()
    throw new Error(
      `redis bus: cannot reach ${url} (${error instanceof Error ? error.message : String(error)}); start redis-server or fix --bus`,
      { cause: error },
    )
  }
  connected = true
  return client
}

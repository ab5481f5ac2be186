/**
 * The epoch of a Redis-backed feed lives in Redis, beside the stream it names: whoever
 * comes first (ticker or fan-out) creates it with `SET … NX`, everyone else reads it. It
 * survives restarts of every process and is lost exactly when the stream is lost (Redis
 * restarted without persistence), which is what an epoch must mean.
 */
import { randomBytes } from 'node:crypto'
import type { RedisClientType } from 'redis'

/** A connected node-redis client with the default modules. */
export type BusClient = RedisClientType

/** Read the epoch at `key`, creating a random one when absent. */
export async function claimEpoch(client: BusClient, key: string): Promise<string> {
  await client.sendCommand(['SET', key, randomBytes(6).toString('base64url'), 'NX'])
  const epoch: unknown = await client.sendCommand(['GET', key])
  if (typeof epoch !== 'string') throw new Error(`redis bus: ${key} vanished right after SET NX`)
  return epoch
}

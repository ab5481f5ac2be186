/**
 * Broadcast: every text message goes to every connected broadcast client, WebSocket and
 * SSE alike, as `{"type":"broadcast","from","data","t"}` serialized once. Seed 002's third
 * task. Anyone may POST without a session (`from` is then `"http"`).
 */
import type { Lab } from './lab.ts'
import type { LabPeer } from './lab-peer.ts'
import { labError, type LabError } from './lab-errors.ts'
import { PreparedMessage } from './prepared-message.ts'
import { serverTime } from './server-time.ts'

/** Creates the broadcast lab. */
export function createBroadcastLab(): Lab {
  const listeners = new Set<LabPeer>()
  return {
    name: 'broadcast',
    anonymousPosts: true,
    connect(peer: LabPeer): void {
      listeners.add(peer)
    },
    receive(peer: LabPeer | undefined, text: string): LabError | undefined {
      if (peer !== undefined && !peer.bucket.take()) return labError('rate-limited')
      const message = new PreparedMessage({
        type: 'broadcast',
        from: peer?.id ?? 'http',
        data: text,
        t: serverTime(),
      })
      for (const listener of listeners) listener.send(message)
      return undefined
    },
    receiveBinary(): LabError | undefined {
      return labError('binary-unsupported')
    },
    disconnect(peer: LabPeer): void {
      listeners.delete(peer)
    },
  }
}

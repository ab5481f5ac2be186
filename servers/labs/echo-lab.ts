/**
 * Echo: every text message comes back to its sender as `{"type":"echo","data","t"}`;
 * binary WebSocket messages come back byte for byte. Seed 002's second task.
 */
import type { Lab } from './lab.ts'
import type { LabPeer } from './lab-peer.ts'
import { labError, type LabError } from './lab-errors.ts'
import { PreparedMessage } from './prepared-message.ts'
import { serverTime } from './server-time.ts'

/** Creates the echo lab. */
export function createEchoLab(): Lab {
  return {
    name: 'echo',
    anonymousPosts: false,
    connect(): void {
      // Nothing to set up: echo keeps no state.
    },
    receive(peer: LabPeer | undefined, text: string): LabError | undefined {
      if (peer === undefined) return labError('session-missing')
      if (!peer.bucket.take()) return labError('rate-limited')
      peer.send(new PreparedMessage({ type: 'echo', data: text, t: serverTime() }))
      return undefined
    },
    receiveBinary(peer: LabPeer, bytes: Buffer): LabError | undefined {
      if (!peer.bucket.take()) return labError('rate-limited')
      peer.sendBinary(bytes)
      return undefined
    },
    disconnect(): void {
      // Nothing to release.
    },
  }
}

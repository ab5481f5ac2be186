/** The one interface every lab implements; transports (WebSocket, SSE + POST) call it. */
import type { LabError } from './lab-errors.ts'
import type { LabPeer } from './lab-peer.ts'

/** The labs served under `/labs/<name>`. */
export const LAB_NAMES = ['echo', 'broadcast', 'chat', 'whiteboard'] as const

/** A lab name. */
export type LabName = (typeof LAB_NAMES)[number]

/** True when `name` is a lab served under `/labs/<name>`. */
export function isLabName(name: string): name is LabName {
  return (LAB_NAMES as readonly string[]).includes(name)
}

/** A read-only view of a lab: the JSON body for the route's params, or a fault to answer with. */
export type LabView = (params: Readonly<Record<string, string>>) => object | LabError

/** One lab: what happens when peers connect, send and leave. */
export interface Lab {
  readonly name: LabName
  /**
   * A peer connected. `query` is the URL's query string; the room labs read `room` and
   * `user` from it as a `join`. Faults are sent to the peer.
   */
  connect(peer: LabPeer, query: URLSearchParams): void
  /**
   * One text message from a peer (or from an anonymous POST, where the lab allows one).
   * Returns the fault to report to the sender, or undefined.
   */
  receive(peer: LabPeer | undefined, text: string): LabError | undefined
  /** One binary WebSocket message. Returns the fault to report, or undefined. */
  receiveBinary(peer: LabPeer, bytes: Buffer): LabError | undefined
  /** The peer's connection closed. */
  disconnect(peer: LabPeer): void
  /** True when this lab accepts POSTs without a session (anyone may post). */
  readonly anonymousPosts: boolean
  /**
   * Read-only REST views under `GET /labs/<name>/<path>`, keyed by path in express syntax
   * (`rooms/:room`). Optional.
   */
  readonly views?: Readonly<Record<string, LabView>>
}

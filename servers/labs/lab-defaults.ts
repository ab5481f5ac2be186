/** Bounds and timings of the labs; every default is stated here and in README.md. */

/** Options of {@link createLabs}; each field defaults to the value in {@link LAB_DEFAULTS}. */
export interface LabOptions {
  /** Largest WebSocket message or POST body, bytes. Default 65536 (64 KiB). */
  readonly maxPayloadBytes: number
  /** Open lab connections (WebSocket + SSE) at once. Default 2000. */
  readonly maxConnections: number
  /** Chat and whiteboard rooms open at once (each kind counted apart). Default 100. */
  readonly maxRooms: number
  /** Users in one chat room or whiteboard. Default 50. */
  readonly maxUsersPerRoom: number
  /** Largest chat message text, UTF-8 bytes. Default 2000. */
  readonly maxChatTextBytes: number
  /** Chat messages kept per room and sent to a joining user. Default 50. */
  readonly historyLength: number
  /** Chat message ids and whiteboard stroke ids remembered per room to drop resends. Default 4096. */
  readonly dedupWindow: number
  /** Messages a connection may send per second, sustained. Default 20. */
  readonly messageRatePerS: number
  /** Messages a connection may send in a burst. Default 40. */
  readonly messageBurst: number
  /** Strokes one whiteboard holds before it must be cleared. Default 5000. */
  readonly maxStrokesPerBoard: number
  /** Points in one stroke. Default 1000. */
  readonly maxPointsPerStroke: number
  /** Unsent bytes after which a slow client is dropped. Default 1048576 (1 MiB). */
  readonly slowClientBytes: number
  /** WebSocket ping interval; a peer that missed the last pong is terminated. Default 30000 ms. */
  readonly heartbeatMs: number
  /** SSE comment interval that keeps idle streams open through proxies. Default 15000 ms. */
  readonly sseKeepaliveMs: number
  /** How long {@link Labs.close} waits for WebSocket close handshakes. Default 2000 ms. */
  readonly closeTimeoutMs: number
}

/** Default lab options. */
export const LAB_DEFAULTS: Readonly<LabOptions> = Object.freeze({
  maxPayloadBytes: 64 * 1024,
  maxConnections: 2000,
  maxRooms: 100,
  maxUsersPerRoom: 50,
  maxChatTextBytes: 2000,
  historyLength: 50,
  dedupWindow: 4096,
  messageRatePerS: 20,
  messageBurst: 40,
  maxStrokesPerBoard: 5000,
  maxPointsPerStroke: 1000,
  slowClientBytes: 1024 * 1024,
  heartbeatMs: 30_000,
  sseKeepaliveMs: 15_000,
  closeTimeoutMs: 2000,
})

/** Room names: 1–32 of a-z, 0-9 and "-", not starting with "-". */
export const ROOM_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/

/** User names: 1–24 letters, digits, spaces, ".", "_" or "-". */
export const USER_NAME = /^[\p{L}\p{N} ._-]{1,24}$/u

/** Literals of RFC 6455 shared by the client's frame parser, frame writer and socket. */

/** Frame opcodes (RFC 6455 §5.2). */
export const OPCODE = Object.freeze({
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
})

/** Close codes the client itself uses (RFC 6455 §7.4.1). */
export const CLOSE_CODE = Object.freeze({
  normal: 1000,
  protocolError: 1002,
  /** Received a close frame without a code. */
  noStatus: 1005,
  /** The connection ended without a close frame (never sent on the wire). */
  abnormal: 1006,
  invalidPayload: 1007,
  messageTooBig: 1009,
})

/** Largest payload of a control frame. */
export const MAX_CONTROL_PAYLOAD = 125

/**
 * Whether a close code received on the wire is one a peer may send (RFC 6455 §7.4: 1000–1003,
 * 1007–1014, 3000–4999; 1004–1006 and 1015 are reserved and never sent).
 */
export function isValidWireCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999)
  )
}

/** Defaults of the lean client; each is stated where it is documented. */
export const WEBSOCKET_CLIENT_DEFAULTS = Object.freeze({
  /** Largest message accepted, bytes (a bigger one closes with 1009), as the `ws` package's 100 MiB. */
  maxPayload: 100 * 1024 * 1024,
  /** How long the opening handshake may take before the connection is dropped, ms. */
  handshakeTimeoutMs: 30_000,
  /** How long to wait for the server to end TCP after the close handshake, ms (as `ws`). */
  closeTimeoutMs: 30_000,
})

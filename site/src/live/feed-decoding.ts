/**
 * Turns what a live client receives into feed messages, whichever `--encoding` the server runs:
 * JSON text, or the binary layout of `servers/feed/binary-layout.ts` — as a binary WebSocket
 * message, or base64 in an SSE `data:` field. The decoding is the server's own codec
 * (`binary-codec.ts`: DataView and Uint8Array only, no Node APIs), so the page and the server
 * cannot disagree on the layout. Polls always answer JSON.
 */
import { decodeBinaryMessage } from '../../../servers/feed/binary-codec.ts'
import type { FeedEncoding } from '../../../servers/feed/binary-layout.ts'
import type { ServerMessage } from '../../../servers/feed/messages.ts'
import { parseServerMessage } from './feed-client.ts'

/** A message and the encoding it arrived in. */
export interface DecodedMessage {
  message: ServerMessage
  encoding: FeedEncoding
}

/** Binary bytes as a message; undefined when they are not a well-formed binary frame or snapshot. */
function fromBinary(bytes: Uint8Array): DecodedMessage | undefined {
  try {
    return { message: decodeBinaryMessage(bytes), encoding: 'binary' }
  } catch {
    // A malformed message is the peer's fault: dropped, like unparsable JSON, never thrown.
    return undefined
  }
}

/** JSON text as a message; undefined when it is not a JSON object with a `type`. */
function fromJson(text: string): DecodedMessage | undefined {
  const message = parseServerMessage(text)
  return message === undefined ? undefined : { message, encoding: 'json' }
}

/**
 * One WebSocket message: a text message is JSON, a binary one (an `ArrayBuffer`, with the
 * socket's `binaryType = 'arraybuffer'`) is the binary layout.
 * @returns the message, or undefined when it cannot be decoded
 */
export function decodeSocketMessage(data: unknown): DecodedMessage | undefined {
  if (typeof data === 'string') return fromJson(data)
  if (data instanceof ArrayBuffer) return fromBinary(new Uint8Array(data))
  return undefined
}

/**
 * One SSE `data:` field: JSON text (it starts with `{`), or else the base64 of the binary layout
 * (a `--encoding binary` server's frames and snapshots; its `reset`, `pong` and `error` stay JSON).
 * @returns the message, or undefined when it cannot be decoded
 */
export function decodeSseData(data: string): DecodedMessage | undefined {
  if (data.startsWith('{')) return fromJson(data)
  let binary: string
  try {
    binary = atob(data)
  } catch {
    return undefined
  }
  return fromBinary(Uint8Array.from(binary, (char) => char.charCodeAt(0)))
}

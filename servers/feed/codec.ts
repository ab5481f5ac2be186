/**
 * The wire codec: feed state → JSON text, client text → {@link ClientMessage}. No I/O.
 *
 * Every frame and snapshot starts with `{"type":…,"epoch":…,"seq":…,"t":…,` in that
 * order, so a load script can read the header without parsing the whole message.
 */
import type { ClientMessage, ResetReason, ScoredEvent, ServerMessage, Sprite } from './messages.ts'

/** Server wall clock, ms with sub-ms precision: the `t` of every message. */
export const wallClock = (): number => performance.timeOrigin + performance.now()

/** Encode a `frame`. Key order is part of the contract (see module doc). */
export function encodeFrame(
  epoch: string,
  seq: number,
  t: number,
  sprites: readonly Sprite[],
  events: readonly ScoredEvent[],
  pad: string,
): string {
  return JSON.stringify(
    pad === ''
      ? { type: 'frame', epoch, seq, t, sprites, events }
      : { type: 'frame', epoch, seq, t, sprites, events, pad },
  )
}

/** Encode a `snapshot`: the full state at `seq`. */
export function encodeSnapshot(
  epoch: string,
  seq: number,
  t: number,
  sprites: readonly Sprite[],
  events: readonly ScoredEvent[],
): string {
  return JSON.stringify({ type: 'snapshot', epoch, seq, t, sprites, events })
}

/** Encode a `reset`: the client's cursor cannot be served; `seq` is the newest frame. */
export function encodeReset(epoch: string, seq: number, reason: ResetReason): string {
  return JSON.stringify({ type: 'reset', epoch, seq, reason })
}

/** Encode a `pong` answering the ping `id`. */
export function encodePong(id: string | number, t: number): string {
  return JSON.stringify({ type: 'pong', id, t })
}

/** Encode an `error` message. */
export function encodeError(code: string, message: string): string {
  return JSON.stringify({ type: 'error', code, message })
}

/** Why a client message was refused; each is a key of the server's fault table. */
export type DecodeFaultCode = 'bad-json' | 'unknown-type' | 'bad-message'

/** Result of {@link decodeClientMessage}. */
export type DecodeResult =
  { ok: true; message: ClientMessage } | { ok: false; code: DecodeFaultCode; message: string }

// Ping ids are echoed back verbatim, so bound them.
const MAX_PING_ID_LENGTH = 128

/**
 * Parse a client message (WebSocket text, or the JSON body of a POST). Never throws:
 * a bad message is a value the transport reports with the fault table.
 */
export function decodeClientMessage(input: unknown): DecodeResult {
  let value: unknown = input
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input)
    } catch {
      return { ok: false, code: 'bad-json', message: 'message is not valid JSON' }
    }
  }
  return validateClientMessage(value)
}

/** Validate an already parsed value as a {@link ClientMessage}. */
export function validateClientMessage(value: unknown): DecodeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'bad-message', message: 'message must be a JSON object' }
  }
  const record = value as Record<string, unknown>
  const type = record['type']
  if (type === 'ping') {
    const id = record['id']
    const idOk =
      (typeof id === 'string' && id.length <= MAX_PING_ID_LENGTH) ||
      (typeof id === 'number' && Number.isFinite(id))
    if (!idOk) {
      return {
        ok: false,
        code: 'bad-message',
        message: `ping needs an "id": a finite number or a string of at most ${MAX_PING_ID_LENGTH} characters`,
      }
    }
    return { ok: true, message: { type: 'ping', id } }
  }
  if (type === 'control') {
    const action = record['action']
    if (action !== 'start' && action !== 'stop' && action !== 'drop') {
      return {
        ok: false,
        code: 'bad-message',
        message: 'control needs "action": "start", "stop" or "drop"',
      }
    }
    return { ok: true, message: { type: 'control', action } }
  }
  return {
    ok: false,
    code: 'unknown-type',
    message: `unknown message type ${type === undefined ? '(missing)' : JSON.stringify(type)}; expected "ping" or "control"`,
  }
}

/** Parse one server message (for tests and clients); throws on text that is not JSON. */
export function decodeServerMessage(text: string): ServerMessage {
  return JSON.parse(text) as ServerMessage
}

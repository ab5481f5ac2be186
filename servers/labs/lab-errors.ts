/**
 * The one closed table of faults a lab client can cause. Each code maps to the HTTP status
 * used by the SSE + POST variants and a message that says what to do next. Over WebSocket
 * and on SSE streams a fault is an `{"type":"error","code","message"}` message and the
 * connection stays open.
 */

/** Every lab fault, by code. */
export const LAB_ERRORS = {
  'malformed-json': {
    status: 400,
    message: 'the message is not valid JSON: send one JSON object per message',
  },
  'unknown-type': { status: 400, message: 'unknown message type' },
  'invalid-message': { status: 400, message: 'the message has missing or invalid fields' },
  'binary-unsupported': {
    status: 400,
    message: 'this lab takes JSON text messages, not binary frames',
  },
  'bad-room-name': {
    status: 400,
    message:
      'bad room name: 1 to 32 characters from a-z, 0-9 and "-", starting with a letter or digit',
  },
  'user-missing': { status: 400, message: 'user name missing: join with {"user":"<your name>"}' },
  'bad-user-name': {
    status: 400,
    message: 'bad user name: 1 to 24 letters, digits, spaces, ".", "_" or "-"',
  },
  'name-taken': {
    status: 409,
    message: 'this user name is already in the room: pick another one',
  },
  'not-joined': { status: 409, message: 'join a room first: send {"type":"join","room","user"}' },
  'too-large': { status: 413, message: 'message too large' },
  'rate-limited': { status: 429, message: 'too many messages: slow down and send again' },
  'room-limit': {
    status: 503,
    message: 'too many rooms are open on this server: join an existing room or try later',
  },
  'room-full': { status: 503, message: 'this room is full: try another room' },
  'board-full': {
    status: 409,
    message: 'this board holds the most strokes it can: send {"type":"clear"} to start over',
  },
  'session-missing': {
    status: 400,
    message: 'session missing: add ?session=<id> with the id the stream announced',
  },
  'unknown-session': {
    status: 404,
    message: 'unknown session: open the stream again and use the id it announces',
  },
  'unknown-lab': {
    status: 404,
    message: 'unknown lab: GET /labs lists the labs',
  },
  'origin-refused': {
    status: 403,
    message: "this page's origin may not use the labs: open it from an allowed origin",
  },
  'too-many-connections': {
    status: 503,
    message: 'too many lab connections on this server: try again later',
  },
} as const

/** A lab fault code. */
export type LabErrorCode = keyof typeof LAB_ERRORS

/** The wire form of a fault: sent on the socket or stream, or as a POST's JSON body. */
export interface LabError {
  readonly type: 'error'
  readonly code: LabErrorCode
  readonly message: string
}

/** Whether a value is the wire form of a fault. */
export function isLabError(value: object): value is LabError {
  return 'type' in value && value.type === 'error' && 'code' in value
}

/** Builds the wire form of `code`; `detail` replaces the table's message when given. */
export function labError(code: LabErrorCode, detail?: string): LabError {
  return { type: 'error', code, message: detail ?? LAB_ERRORS[code].message }
}

/**
 * Decoding of client messages for the room labs: JSON text → one typed message, or a
 * fault from the closed table. No I/O.
 */
import { z } from 'zod'
import { labError, type LabError } from './lab-errors.ts'
import { ROOM_NAME, USER_NAME } from './lab-defaults.ts'

/** The result of decoding: a value, or the fault to report. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; error: LabError }

/**
 * Decodes `text` with the schema its `type` names. Malformed JSON, a missing or unknown
 * `type` and schema failures each get their own fault; the fault message names the field.
 */
export function decodeMessage<Schemas extends Record<string, z.ZodType>>(
  text: string,
  schemas: Schemas,
): Decoded<{ [K in keyof Schemas]: z.infer<Schemas[K]> }[keyof Schemas]> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { ok: false, error: labError('malformed-json') }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: labError('invalid-message', 'send one JSON object with a "type"') }
  }
  const type: unknown = (parsed as { type?: unknown }).type
  const known = Object.keys(schemas)
  if (typeof type !== 'string' || !Object.hasOwn(schemas, type)) {
    return {
      ok: false,
      error: labError(
        'unknown-type',
        `unknown message type ${JSON.stringify(type ?? null)}; this lab takes ${known.map((name) => `"${name}"`).join(', ')}`,
      ),
    }
  }
  const schema = schemas[type] as z.ZodType
  const result = schema.safeParse(parsed)
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `
    return {
      ok: false,
      error: labError('invalid-message', `bad "${type}" message: ${where}${issue?.message ?? ''}`),
    }
  }
  return { ok: true, value: result.data as z.infer<Schemas[keyof Schemas]> }
}

/** The fields of a `join`, checked one by one so each mistake gets its own fault. */
export interface JoinRequest {
  readonly room: string
  readonly user: string
}

/**
 * Checks a join's room and user. `defaultUser` is used when the user is absent (the
 * whiteboard allows that); without it a missing user is the `user-missing` fault.
 */
export function checkJoin(
  room: unknown,
  user: unknown,
  defaultUser?: string,
): Decoded<JoinRequest> {
  if (typeof room !== 'string' || !ROOM_NAME.test(room)) {
    const shown = typeof room === 'string' ? JSON.stringify(room) : 'missing'
    return {
      ok: false,
      error: labError(
        'bad-room-name',
        `bad room name (${shown.slice(0, 40)}): 1 to 32 characters from a-z, 0-9 and "-", starting with a letter or digit`,
      ),
    }
  }
  if (user === undefined || user === null || user === '') {
    if (defaultUser === undefined) return { ok: false, error: labError('user-missing') }
    return { ok: true, value: { room, user: defaultUser } }
  }
  if (typeof user !== 'string' || !USER_NAME.test(user) || user.trim() === '') {
    return { ok: false, error: labError('bad-user-name') }
  }
  return { ok: true, value: { room, user } }
}

/** A `join` message: room and user are checked by {@link checkJoin}. */
export const joinSchema = z.object({
  type: z.literal('join'),
  room: z.unknown().optional(),
  user: z.unknown().optional(),
})

/** A `leave` message. */
export const leaveSchema = z.object({ type: z.literal('leave') })

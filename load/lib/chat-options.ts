/**
 * The chat load shape: `ROOMS` rooms × `USERS_PER_ROOM` users, each user sending
 * `MSG_RATE` messages a second, ramped over `RAMP` and held for `HOLD` (the shared
 * `BASE_URL`, `RAMP` and `HOLD` come from feed-options).
 */
import exec from 'k6/execution'
import type { Options } from 'k6/options'
import { env as feedEnv } from './feed-options.ts'

/** Defaults for the chat `__ENV` parameters, as documented in servers/labs/README.md. */
export const CHAT_DEFAULTS = Object.freeze({
  ROOMS: '10',
  USERS_PER_ROOM: '5',
  /** Messages each user sends per second. */
  MSG_RATE: '1',
  /** Budget for p(95) of end-to-end latency and of ack latency, ms. */
  CHAT_P95: '250',
})

/** Reads a chat `__ENV[name]` or its default. */
export function chatEnv(name: keyof typeof CHAT_DEFAULTS): string {
  const value = __ENV[name]
  return value === undefined || value === '' ? CHAT_DEFAULTS[name] : value
}

function positive(name: keyof typeof CHAT_DEFAULTS, integer: boolean): number {
  const value = Number(chatEnv(name))
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    const kind = integer ? 'a positive integer' : 'a positive number'
    throw new Error(`${name} must be ${kind}, got "${chatEnv(name)}"`)
  }
  return value
}

/** Rooms the users are spread over. */
export const rooms = positive('ROOMS', true)
/** Users in each room. */
export const usersPerRoom = positive('USERS_PER_ROOM', true)
/** Messages per user per second. */
export const messageRate = positive('MSG_RATE', false)

/** `ws://…/labs/chat` from `BASE_URL`. */
export const chatWebSocketUrl = `${feedEnv('BASE_URL')
  .replace(/\/+$/, '')
  .replace(/^http/, 'ws')}/labs/chat`

/** k6 options: one VU per user, ramped to `ROOMS × USERS_PER_ROOM`; thresholds on latency. */
export function chatOptions(): Options {
  const budget = Number(chatEnv('CHAT_P95'))
  return {
    scenarios: {
      // @types/k6 declares scenarios as class instances; k6 itself reads plain objects.
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
      chat: {
        executor: 'ramping-vus',
        startVUs: 0,
        stages: [
          { duration: feedEnv('RAMP'), target: rooms * usersPerRoom },
          { duration: feedEnv('HOLD'), target: rooms * usersPerRoom },
        ],
        gracefulRampDown: '5s',
        gracefulStop: '5s',
      },
    },
    thresholds: {
      chat_latency: [`p(95)<${budget}`],
      chat_ack: [`p(95)<${budget}`],
      chat_errors: ['count==0'],
      chat_unacked: ['count==0'],
    },
  }
}

/** This VU's room and user name: VUs fill the rooms round-robin as they ramp up. */
export function chatSeat(): { room: string; user: string } {
  const vu = exec.vu.idInTest
  return { room: `load-${String((vu - 1) % rooms)}`, user: `vu${String(vu)}` }
}

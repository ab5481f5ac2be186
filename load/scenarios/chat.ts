/**
 * Chat rooms: one VU is one user holding one WebSocket to `/labs/chat` in its room,
 * sending `MSG_RATE` messages a second. Reports end-to-end latency (`chat_latency`,
 * receiver − sender clock on one machine) and ack latency (`chat_ack`).
 *
 *   k6 run -e BASE_URL=http://127.0.0.1:8080 -e ROOMS=10 -e USERS_PER_ROOM=5 -e MSG_RATE=1 \
 *     -e RAMP=5s -e HOLD=20s load/scenarios/chat.ts
 */
import { WebSocket } from 'k6/websockets'
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'k6/timers'
import {
  chatAck,
  chatErrors,
  chatJoin,
  chatLatency,
  chatReceived,
  chatSent,
  chatUnacked,
} from '../lib/chat-metrics.ts'
import { chatOptions, chatSeat, chatWebSocketUrl, messageRate } from '../lib/chat-options.ts'
import { connectionPlan, wait } from '../lib/feed-options.ts'

/** k6 options: ramping-vus to ROOMS × USERS_PER_ROOM, thresholds on latency and errors. */
export const options = chatOptions()

/** Stop sending this long before the end, so the last acks can still arrive. */
const DRAIN_MS = 1000

interface ServerMessage {
  type?: string
  id?: string
  user?: string
  sentAt?: number
  duplicate?: boolean
  code?: string
}

/** One session in a room; resolves when the socket closes. */
function chatOnce(
  seat: { room: string; user: string },
  plan: { steadyFrom: number; until: number },
  sequence: { next: number },
): Promise<void> {
  return new Promise((resolve) => {
    const openedAt = Date.now()
    const pending = new Map<string, number>()
    const socket = new WebSocket(
      `${chatWebSocketUrl}?room=${seat.room}&user=${encodeURIComponent(seat.user)}`,
    )
    let sender: number | undefined
    const closer = setTimeout(() => {
      socket.close(1000)
    }, plan.until - openedAt)

    function sendOne(): void {
      const now = Date.now()
      if (now > plan.until - DRAIN_MS) {
        if (sender !== undefined) clearInterval(sender)
        sender = undefined
        return
      }
      sequence.next += 1
      const id = `${seat.user}-${String(sequence.next)}`
      pending.set(id, now)
      socket.send(JSON.stringify({ type: 'say', id, text: `message ${id}`, sentAt: now }))
      chatSent.add(1)
    }

    socket.onmessage = (event) => {
      const now = Date.now()
      if (event === undefined || typeof event.data !== 'string') return
      const message = JSON.parse(event.data) as ServerMessage
      switch (message.type) {
        case 'joined':
          chatJoin.add(now - openedAt)
          sender = setInterval(sendOne, 1000 / messageRate)
          break
        case 'ack': {
          const sentAt = message.id === undefined ? undefined : pending.get(message.id)
          if (sentAt === undefined || message.id === undefined) break
          pending.delete(message.id)
          if (sentAt >= plan.steadyFrom) chatAck.add(now - sentAt)
          break
        }
        case 'message':
          if (message.user === seat.user || typeof message.sentAt !== 'number') break
          chatReceived.add(1)
          if (message.sentAt >= plan.steadyFrom) chatLatency.add(now - message.sentAt)
          break
        case 'error':
          chatErrors.add(1, { code: message.code ?? 'unknown' })
          break
        default:
        // hello, presence and typing carry nothing to measure.
      }
    }
    socket.onclose = () => {
      clearTimeout(closer)
      if (sender !== undefined) clearInterval(sender)
      if (pending.size > 0) chatUnacked.add(pending.size)
      resolve()
    }
    socket.onerror = () => {
      // onclose follows every error; nothing to release here.
    }
  })
}

/** One VU: join its room and chat until the end of the steady window, rejoining if dropped. */
export default async function (): Promise<void> {
  const plan = connectionPlan()
  const seat = chatSeat()
  const sequence = { next: 0 }
  let attempt = 0
  while (Date.now() < plan.until - 50 && attempt < 100) {
    await chatOnce(seat, plan, sequence)
    attempt++
    if (Date.now() < plan.until - 50) await wait(Math.min(2000, 100 * 2 ** attempt))
  }
}

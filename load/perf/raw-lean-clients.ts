/**
 * Second baseline for the engine benchmark: N bare lean WebSocket clients
 * (load/engine/wire/websocket-client.ts) in one process that only decode and count
 * messages, as raw-ws-clients.ts does with the `ws` package. Set beside the bare `ws`
 * clients it shows what the client change saves; set beside the engine, what the engine
 * adds around the client (module instances, metrics, the script's own work, threads).
 *
 *   node load/perf/raw-lean-clients.ts <ws-url> <clients> <seconds> [ramp-seconds]
 */
import { LeanWebSocket } from '../engine/wire/websocket-client.ts'
import type { WebSocketEvents } from '../engine/wire/websocket-client.ts'

const [url, clientsText, secondsText, rampText] = process.argv.slice(2)
if (url === undefined || clientsText === undefined || secondsText === undefined) {
  throw new Error('usage: raw-lean-clients.ts <ws-url> <clients> <seconds> [ramp-seconds]')
}
const target: string = url
const clients = Number(clientsText)
const rampMs = Number(rampText ?? '0') * 1000
let messages = 0
const sockets: LeanWebSocket[] = []

// One events object for every client: the same work per message as the bare ws clients.
const events: WebSocketEvents = {
  onOpen: () => undefined,
  onText(text) {
    if (text.length > 0) messages++
  },
  onBinary(data) {
    if (data.byteLength > 0) messages++
  },
  onPing: () => undefined,
  onPong: () => undefined,
  onError(message) {
    // A refused or dropped connection is reported, not fatal: the count shows it.
    process.stderr.write(`bare lean client: ${message}\n`)
  },
  onClose: () => undefined,
  onBytesReceived: () => undefined,
  onBytesSent: () => undefined,
}

function open(): void {
  sockets.push(new LeanWebSocket(target, events))
}
for (let i = 0; i < clients; i++) setTimeout(open, (rampMs * i) / clients)
// Reports the running count once per second so the parent can cut the steady window.
const reporter = setInterval(() => {
  process.stdout.write(`${JSON.stringify({ t: Date.now(), messages })}\n`)
}, 1000)
setTimeout(
  () => {
    clearInterval(reporter)
    for (const socket of sockets) socket.terminate()
    process.stdout.write(`${JSON.stringify({ t: Date.now(), messages, done: true })}\n`)
    process.exit(0)
  },
  Number(secondsText) * 1000,
)

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
import { bareClientsArgs, runBareClients } from '../kit/bare-clients.ts'

const [url, clientsText, secondsText, rampText] = process.argv.slice(2)
const USAGE = 'raw-lean-clients.ts <ws-url> <clients> <seconds> [ramp-seconds]'
if (url === undefined) throw new Error(`usage: ${USAGE}`)
const target: string = url
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

runBareClients({
  ...bareClientsArgs(clientsText, secondsText, rampText, USAGE),
  open() {
    sockets.push(new LeanWebSocket(target, events))
  },
  counts: () => ({ messages }),
  stop() {
    for (const socket of sockets) socket.terminate()
  },
})

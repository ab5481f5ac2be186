/**
 * Baseline for the engine benchmark: N bare `ws` clients in one process that only count
 * messages. Whatever the engine spends above this is the engine's own cost.
 *
 *   node load/perf/raw-ws-clients.ts <ws-url> <clients> <seconds> [ramp-seconds]
 *
 * Connections open evenly over the ramp, as the engine's ramping-vus opens them (all at
 * once would overflow the server's accept backlog).
 */
import WebSocket from 'ws'

const [url, clientsText, secondsText, rampText] = process.argv.slice(2)
if (url === undefined || clientsText === undefined || secondsText === undefined) {
  throw new Error('usage: raw-ws-clients.ts <ws-url> <clients> <seconds>')
}
const target: string = url
const clients = Number(clientsText)
const rampMs = Number(rampText ?? '0') * 1000
let messages = 0
const sockets: WebSocket[] = []
function open(): void {
  const socket = new WebSocket(target, { perMessageDeflate: false, skipUTF8Validation: true })
  socket.on('message', (raw: Buffer) => {
    // The same work the engine must do at least: decode the text.
    if (raw.toString().length > 0) messages++
  })
  socket.on('error', (error: Error) => {
    // A refused or dropped connection is reported, not fatal: the count shows it.
    process.stderr.write(`bare ws client: ${error.message}\n`)
  })
  sockets.push(socket)
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

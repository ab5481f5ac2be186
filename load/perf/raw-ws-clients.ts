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
import { bareClientsArgs, runBareClients } from '../kit/bare-clients.ts'

const [url, clientsText, secondsText, rampText] = process.argv.slice(2)
const USAGE = 'raw-ws-clients.ts <ws-url> <clients> <seconds> [ramp-seconds]'
if (url === undefined) throw new Error(`usage: ${USAGE}`)
const target: string = url
let messages = 0
const sockets: WebSocket[] = []
runBareClients({
  ...bareClientsArgs(clientsText, secondsText, rampText, USAGE),
  open() {
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
  },
  counts: () => ({ messages }),
  stop() {
    for (const socket of sockets) socket.terminate()
  },
})

/**
 * A client process for the packet-drop test: it runs inside the test's network namespace
 * (`ip netns exec <ns> node test/faults/resuming-client.ts <url> <seconds>`), holds one
 * client per protocol, and behaves as a real client on a lossy path: when nothing arrives
 * for a second it drops the connection and resumes with its last cursor, retrying until
 * the path works again. It prints one JSON line: per protocol, the seqs, resets and
 * reconnects it saw.
 */
import type { Cursor } from '../../servers/feed/history-ring.ts'
import type { ServerMessage } from '../../servers/feed/messages.ts'
import { PROTOCOLS, type Protocol } from '../../servers/transports/protocols.ts'
import { lastCursor, openClient, type FeedClient } from '../conformance/feed-clients.ts'

const [url, secondsText] = process.argv.slice(2)
if (url === undefined || secondsText === undefined) {
  console.error('usage: resuming-client.ts <base-url> <seconds>')
  process.exit(2)
}
const endMs = Date.now() + Number(secondsText) * 1000
const SILENCE_MS = 1000
const OPEN_TIMEOUT_MS = 1000

/** Opens a client, or null when the path does not answer in time. */
async function tryOpen(protocol: Protocol, cursor?: Cursor): Promise<FeedClient | null> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      resolve(null)
    }, OPEN_TIMEOUT_MS)
  })
  const opening = openClient(protocol, url ?? '', cursor).catch(() => null)
  const client = await Promise.race([opening, timeout])
  clearTimeout(timer)
  // An open that lands after its timeout is abandoned: kill it so it cannot linger.
  if (client === null)
    void opening.then((late) => {
      late?.kill()
    })
  return client
}

async function run(protocol: Protocol): Promise<{ messages: ServerMessage[]; reconnects: number }> {
  const messages: ServerMessage[] = []
  let reconnects = 0
  let client: FeedClient | null = null
  let cursor: Cursor | undefined
  while (client === null && Date.now() < endMs) client = await tryOpen(protocol)
  while (client !== null && Date.now() < endMs) {
    const seen = client.messages.length
    await new Promise((resolve) => setTimeout(resolve, SILENCE_MS))
    if (client.messages.length > seen) continue
    // Silent for a second: treat the connection as dead and resume from the cursor.
    client.kill()
    messages.push(...client.messages)
    // A connection that delivered nothing leaves the previous cursor in force.
    if (client.messages.some((m) => m.type === 'frame' || m.type === 'snapshot')) {
      cursor = lastCursor(client)
    }
    reconnects++
    let next: FeedClient | null = null
    while (next === null && Date.now() < endMs) next = await tryOpen(protocol, cursor)
    client = next
  }
  if (client !== null) {
    client.kill()
    messages.push(...client.messages)
  }
  return { messages, reconnects }
}

const results = await Promise.all(PROTOCOLS.map(async (p) => [p, await run(p)] as const))
// Exit only once the pipe has taken the whole line: process.exit would cut it short.
process.stdout.write(`${JSON.stringify(Object.fromEntries(results))}\n`, () => {
  process.exit(0)
})

/**
 * Serves the labs alone on 127.0.0.1 (port from `PORT`, default 0), through the same
 * harness the tests use: for trying the labs and running load/scenarios/chat.ts before the
 * main server mounts them. Prints the URL; stops on SIGINT/SIGTERM.
 *
 *   PORT=8090 npx node test/labs/serve-harness.ts
 */
import { startLabHarness } from './lab-harness.ts'

const harness = await startLabHarness()
const port = process.env['PORT'] ?? '0'
if (port !== '0') {
  // The harness listens on port 0; move it to the asked port.
  await new Promise<void>((resolve) =>
    harness.server.close(() => {
      resolve()
    }),
  )
  await new Promise<void>((resolve) => harness.server.listen(Number(port), '127.0.0.1', resolve))
}
const address = harness.server.address()
process.stdout.write(
  `labs at http://127.0.0.1:${typeof address === 'object' && address !== null ? String(address.port) : port}/labs\n`,
)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void harness.close().then(() => process.exit(0))
  })
}

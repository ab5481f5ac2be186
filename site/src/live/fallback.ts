/**
 * The fallback demo: try WebSocket, then SSE, then long poll, then short poll, keeping the first
 * transport that opens. "Blocked" transports point at a path the server does not serve, which
 * fails the way a proxy that strips upgrades or buffers streams would.
 */
import { PROTOCOLS, type Protocol } from '../../../servers/transports/protocols.ts'
import type { FeedClient } from './feed-client.ts'
import { LIVE_TRANSPORTS } from './registry.ts'

/** One line of the fallback log. */
export interface FallbackStep {
  protocol: Protocol
  outcome: 'trying' | 'failed' | 'chosen'
  detail: string
}

/** Runs the fallback chain and reports each step. */
export class FallbackChain {
  /** The client in use (or being tried). */
  current: FeedClient | undefined
  #run = 0
  readonly #baseUrl: string
  readonly #onStep: (step: FallbackStep) => void

  constructor(baseUrl: string, onStep: (step: FallbackStep) => void) {
    this.#baseUrl = baseUrl
    this.#onStep = onStep
  }

  /** Starts the chain from WebSocket, skipping nothing but failing fast on `blocked` transports. */
  start(blocked: ReadonlySet<Protocol>): void {
    this.stop()
    const run = ++this.#run
    const tryFrom = (index: number): void => {
      const protocol = PROTOCOLS[index]
      if (protocol === undefined || run !== this.#run) return
      const transport = LIVE_TRANSPORTS[protocol]
      const path = blocked.has(protocol) ? `/blocked-by-demo${transport.path}` : transport.path
      this.#onStep({ protocol, outcome: 'trying', detail: path })
      const client = transport.create(this.#baseUrl, path, {
        onState: (state, detail) => {
          if (run !== this.#run || this.current !== client) return
          if (state === 'open' && client.everOpened)
            this.#onStep({ protocol, outcome: 'chosen', detail: `using ${protocol}` })
          // A transport that fails before it ever opened is unavailable here: move down the chain.
          if (state === 'retrying' && !client.everOpened) {
            client.dispose()
            // The client's own "retrying in …" does not apply: the chain moves on instead.
            this.#onStep({
              protocol,
              outcome: 'failed',
              detail: `${detail.split(';')[0] ?? detail}; trying the next transport`,
            })
            tryFrom(index + 1)
          }
        },
      })
      this.current = client
      client.start()
    }
    tryFrom(0)
  }

  /** Stops the chain and its client. */
  stop(): void {
    this.#run++
    this.current?.dispose()
    this.current = undefined
  }
}

/**
 * The link emulator measures itself: `node load/network/accuracy.ts [--connections 100,1000]`.
 * For each connection count, in one run: round trips of small pings straight to an echo
 * server and through the relay (its added one-way delay and jitter against the configured
 * ones), every connection's throughput through a per-connection cap, and the relay's CPU per
 * relayed chunk. The relay runs as its own process, as in the bench; the clients and the
 * probe servers share this one, so its own event-loop lag falls on both sides of each
 * comparison alike.
 */
import { writeFileSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { Command } from 'commander'
import { kbitPerSecond } from './profiles.ts'
import { startRelayProcess, type RelayProcess } from './relay-process.ts'

/** What one connection count measured. */
export interface AccuracyResult {
  connections: number
  delay: {
    /** Configured one-way delay, ms. */
    configuredMs: number
    /** Measured: (mean relayed round trip − mean direct round trip) ÷ 2, ms. */
    addedMs: number
    /** The tolerance the issue sets: ±2 ms or ±5 %, whichever is wider. */
    toleranceMs: number
  }
  jitter: {
    /** Configured ± one-way jitter, ms (uniform). */
    configuredMs: number
    /** The round trip's expected standard deviation from it: jitter × √(2/3), ms. */
    expectedStdMs: number
    /** Measured: √(relayed variance − direct variance) of the round trips, ms. */
    measuredStdMs: number
  }
  bandwidth: {
    /** Configured cap per connection, bytes/s. */
    configuredBytesPerS: number
    /** Each connection's throughput ÷ the cap: the mean, the lowest and the highest. */
    meanRatio: number
    minRatio: number
    maxRatio: number
  }
  cost: {
    /** Chunks the relay wrote per second during the ping window (both directions). */
    chunksPerS: number
    /** The relay's CPU, percent of one core, in that window. */
    cpuPercent: number
    /** Its CPU per relayed chunk (a ping or an echo, one feed-sized message), µs. */
    cpuUsPerChunk: number
    /** Chunks written more than 2 ms after their due time, percent. */
    latePercent: number
  }
}

/** What to measure. */
export interface AccuracyOptions {
  connections: number
  /** Length of each measuring window, s (default 3). */
  seconds?: number
  /** One-way delay, ms (default 75: the 4g profile's). */
  delayMs?: number
  /** ± jitter, ms (default 5). */
  jitterMs?: number
  /** Per-connection cap, bytes/s (default 8,000: 64 kbit/s). */
  capBytesPerS?: number
  /** Pings per connection per second (default 5). */
  pingsPerS?: number
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function listen(
  onSocket: (socket: Socket) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer(onSocket)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 4096, resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { server, url: `http://127.0.0.1:${String(address.port)}` }
}

async function dialAll(url: string, count: number): Promise<Socket[]> {
  const { hostname, port } = new URL(url)
  const sockets: Socket[] = []
  // In batches, so that the listen backlog is never the limit.
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, async () => {
      const socket = connect({ host: hostname, port: Number(port), noDelay: true })
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve)
        socket.once('error', reject)
      })
      return socket
    })
    sockets.push(...(await Promise.all(batch)))
  }
  return sockets
}

/** The round trip of one byte to an echo server and back on `socket`, ms. */
export async function roundTrip(socket: Socket): Promise<number> {
  const sent = performance.now()
  const echoed = new Promise<void>((resolve) =>
    socket.once('data', () => {
      resolve()
    }),
  )
  socket.write('x')
  await echoed
  return performance.now() - sent
}

/** Round trips of one-byte pings on every socket for `seconds`, after a half-second warm-up. */
async function pingAll(sockets: Socket[], pingsPerS: number, seconds: number): Promise<number[]> {
  const rtts: number[] = []
  const intervalMs = 1000 / pingsPerS
  const startMs = performance.now()
  const recordFromMs = startMs + 500
  const endMs = recordFromMs + seconds * 1000
  await Promise.all(
    sockets.map(async (socket, i) => {
      // Spread the connections over the interval, as independent clients would be.
      await sleep((intervalMs * i) / sockets.length)
      while (performance.now() < endMs) {
        const sent = performance.now()
        const rtt = await roundTrip(socket)
        if (sent >= recordFromMs) rtts.push(rtt)
        await sleep(Math.max(0, intervalMs - rtt))
      }
    }),
  )
  return rtts
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length
const variance = (values: number[]): number => {
  const m = mean(values)
  return values.reduce((sum, v) => sum + (v - m) ** 2, 0) / values.length
}

function closeAll(sockets: Socket[]): void {
  for (const socket of sockets) socket.destroy()
}

/** Measures the relay at one connection count (see the file comment). */
export async function measureAccuracy(options: AccuracyOptions): Promise<AccuracyResult> {
  const seconds = options.seconds ?? 3
  const delayMs = options.delayMs ?? 75
  const jitterMs = options.jitterMs ?? 5
  const capBytesPerS = options.capBytesPerS ?? 8000
  const pingsPerS = options.pingsPerS ?? 5
  const n = options.connections

  const echo = await listen((socket) => {
    socket.on('error', () => undefined)
    socket.on('data', (chunk: Buffer) => socket.write(chunk))
  })
  // Offers each connection twice its cap, ten times a second, while its socket keeps up:
  // the cap binds, and the buffers between server and relay stay small.
  const block = Buffer.alloc(Math.ceil((2 * capBytesPerS) / 10), 1)
  const pushing = new Set<Socket>()
  const push = await listen((socket) => {
    socket.on('error', () => undefined)
    pushing.add(socket)
    socket.on('close', () => pushing.delete(socket))
  })
  const pushTimer = setInterval(() => {
    for (const socket of pushing) if (socket.writableLength < block.length) socket.write(block)
  }, 100)
  const relays: RelayProcess[] = []
  try {
    // Straight to the echo server: the baseline of every round trip.
    const direct = await dialAll(echo.url, n)
    const directRtts = await pingAll(direct, pingsPerS, seconds)
    closeAll(direct)

    // Through the relay with delay and jitter (no cap: a ping's serialization is not measured).
    const delayed = await startRelayProcess({
      upstream: echo.url,
      args: ['--rtt', String(delayMs * 2), '--jitter', String(jitterMs)],
    })
    relays.push(delayed)
    const viaRelay = await dialAll(delayed.url, n)
    const first = delayed.nextStats()
    const relayedRtts = pingAll(viaRelay, pingsPerS, seconds)
    const before = await first
    await sleep((seconds - 1) * 1000)
    const after = await delayed.nextStats()
    const rtts = await relayedRtts
    closeAll(viaRelay)
    await delayed.stop()

    // Through a per-connection cap, every connection downloading as fast as it may.
    const capped = await startRelayProcess({
      upstream: push.url,
      args: ['--down-kbps', String(kbitPerSecond(capBytesPerS))],
    })
    relays.push(capped)
    const downloads = await dialAll(capped.url, n)
    const bytes = downloads.map(() => 0)
    downloads.forEach((socket, i) => {
      socket.on('data', (chunk: Buffer) => (bytes[i] = (bytes[i] ?? 0) + chunk.length))
    })
    await sleep(1000)
    const startBytes = [...bytes]
    const windowStart = performance.now()
    await sleep(seconds * 1000)
    const elapsedS = (performance.now() - windowStart) / 1000
    const ratios = bytes.map((total, i) => (total - (startBytes[i] ?? 0)) / elapsedS / capBytesPerS)
    closeAll(downloads)
    await capped.stop()

    const windowS = after.t - before.t
    const chunks = after.chunks - before.chunks
    const cpuMs = after.cpuMs - before.cpuMs
    return {
      connections: n,
      delay: {
        configuredMs: delayMs,
        addedMs: (mean(rtts) - mean(directRtts)) / 2,
        toleranceMs: Math.max(2, delayMs * 0.05),
      },
      jitter: {
        configuredMs: jitterMs,
        expectedStdMs: jitterMs * Math.sqrt(2 / 3),
        measuredStdMs: Math.sqrt(Math.max(0, variance(rtts) - variance(directRtts))),
      },
      bandwidth: {
        configuredBytesPerS: capBytesPerS,
        meanRatio: mean(ratios),
        minRatio: Math.min(...ratios),
        maxRatio: Math.max(...ratios),
      },
      cost: {
        chunksPerS: chunks / windowS,
        cpuPercent: (cpuMs / (windowS * 1000)) * 100,
        cpuUsPerChunk: chunks > 0 ? (cpuMs * 1000) / chunks : 0,
        latePercent: chunks > 0 ? ((after.lateChunks - before.lateChunks) / chunks) * 100 : 0,
      },
    }
  } finally {
    clearInterval(pushTimer)
    await Promise.all(relays.map((relay) => relay.stop()))
    echo.server.close()
    push.server.close()
  }
}

/** One line a connection count, as the note and the README quote it. */
export function formatAccuracy(result: AccuracyResult): string {
  const { connections, delay, jitter, bandwidth, cost } = result
  const f1 = (v: number): string => v.toFixed(1)
  const pct = (v: number): string => `${(v * 100).toFixed(1)} %`
  return [
    `${String(connections).padStart(5)} conns`,
    `delay ${f1(delay.addedMs)} ms of ${f1(delay.configuredMs)} (±${f1(delay.toleranceMs)})`,
    `jitter σ ${f1(jitter.measuredStdMs)} ms of ${f1(jitter.expectedStdMs)}`,
    `bandwidth ${pct(bandwidth.meanRatio)} of cap (${pct(bandwidth.minRatio)}–${pct(bandwidth.maxRatio)})`,
    `relay ${f1(cost.cpuPercent)} % CPU, ${f1(cost.cpuUsPerChunk)} µs/chunk at ${Math.round(cost.chunksPerS)}/s` +
      `, ${f1(cost.latePercent)} % late`,
  ].join(' · ')
}

async function main(): Promise<void> {
  const flags = new Command('accuracy')
    .description("the link relay's added delay, jitter, bandwidth and CPU at each connection count")
    .option('--connections <list>', 'comma-separated connection counts', '100,1000')
    .option('--seconds <n>', 'each measuring window', '3')
    .option('--json', 'print the results as JSON')
    .option('--out <file>', 'also write the results as JSON to this file')
    .parse()
    .opts<{ connections: string; seconds: string; json?: boolean; out?: string }>()
  const results: AccuracyResult[] = []
  for (const connections of flags.connections.split(',').map(Number)) {
    const result = await measureAccuracy({ connections, seconds: Number(flags.seconds) })
    results.push(result)
    if (flags.json !== true) console.log(formatAccuracy(result))
  }
  const json = `${JSON.stringify({ at: new Date().toISOString(), results }, null, 2)}\n`
  if (flags.json === true) process.stdout.write(json)
  if (flags.out !== undefined) writeFileSync(flags.out, json)
}

if (import.meta.main) await main()

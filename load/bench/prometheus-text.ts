/**
 * Reads the few samples the bench needs from a Prometheus text exposition (`/metrics`).
 */

/** Value of `name{protocol="…"}` (or of `name` unlabelled when `protocol` is undefined); null when absent. */
export function readSample(text: string, name: string, protocol?: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    let labels = ''
    let value = rest
    if (rest.startsWith('{')) {
      const close = rest.indexOf('}')
      labels = rest.slice(1, close)
      value = rest.slice(close + 1)
    } else if (!rest.startsWith(' ')) {
      continue // a longer metric name sharing the prefix
    }
    if (protocol !== undefined && !labels.split(',').includes(`protocol="${protocol}"`)) continue
    const n = Number(value.trim().split(' ')[0])
    if (Number.isFinite(n)) return n
  }
  return null
}

/** Fetches `/metrics` with a time limit; null when the server does not answer. */
export async function scrape(baseUrl: string, timeoutMs = 2000): Promise<string | null> {
  try {
    const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })
    return res.ok ? await res.text() : null
  } catch {
    return null
  }
}

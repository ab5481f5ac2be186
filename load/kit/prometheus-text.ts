/**
 * Reads samples out of a Prometheus text exposition (a server's `/metrics`): the one reader of
 * the bench, the soak and the server micro-benchmarks. A sample is matched by its exact metric
 * name (a longer name sharing the prefix is another metric) and by labels.
 */

/** One sample line: its labels and value. */
export interface Sample {
  labels: Record<string, string>
  value: number
}

const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Every sample of the metric `name`, in order; values that are not numbers are left out. */
export function samplesOf(text: string, name: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    let labelText = ''
    let valueText = rest
    if (rest.startsWith('{')) {
      const close = rest.lastIndexOf('}')
      if (close < 0) continue
      labelText = rest.slice(1, close)
      valueText = rest.slice(close + 1)
    } else if (!rest.startsWith(' ')) {
      continue // a longer metric name sharing the prefix
    }
    const value = Number(valueText.trim().split(' ')[0])
    if (!Number.isFinite(value)) continue
    const labels: Record<string, string> = {}
    for (const match of labelText.matchAll(LABEL)) labels[match[1] ?? ''] = match[2] ?? ''
    samples.push({ labels, value })
  }
  return samples
}

const matches = (sample: Sample, labels: Readonly<Record<string, string>> | undefined): boolean =>
  labels === undefined
    ? Object.keys(sample.labels).length === 0
    : Object.entries(labels).every(([key, value]) => sample.labels[key] === value)

/**
 * The value of `name`'s sample: the unlabelled one when `labels` is undefined, otherwise the
 * first whose labels include every one given. Null when there is none.
 */
export function readSample(
  text: string,
  name: string,
  labels?: Readonly<Record<string, string>>,
): number | null {
  return samplesOf(text, name).find((sample) => matches(sample, labels))?.value ?? null
}

/** The sum of `name` over every sample whose labels include `labels` (all samples for `{}`). */
export function sumSamples(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  return samplesOf(text, name)
    .filter((sample) => matches(sample, labels))
    .reduce((sum, sample) => sum + sample.value, 0)
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

/**
 * Reads single values out of a Prometheus text exposition (the server's `/metrics`), for the
 * soak's memory samples. Only unlabelled samples are read: the default Node metrics the
 * soak needs (`nodejs_heap_size_used_bytes`, `nodejs_external_memory_bytes`,
 * `nodejs_active_handles_total`) have none.
 */

/**
 * The value of the unlabelled sample `name` in `text`, or `null` when it is absent or not a
 * number.
 */
export function metricValue(text: string, name: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    // `name` must be the whole metric name: the next character is the separator.
    if (!rest.startsWith(' ')) continue
    const value = Number(rest.trim().split(' ')[0])
    return Number.isFinite(value) ? value : null
  }
  return null
}

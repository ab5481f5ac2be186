import { describe, expect, it } from 'vitest'
import { metricValue } from './prometheus-text.ts'

const TEXT = `# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.
# TYPE nodejs_heap_size_used_bytes gauge
nodejs_heap_size_used_bytes 23150464
nodejs_heap_size_used_bytes_extra 1
nodejs_active_handles{type="Socket"} 198
nodejs_active_handles_total 200
nodejs_external_memory_bytes NaN
`

describe('metricValue', () => {
  it('reads an unlabelled sample by its exact name', () => {
    expect(metricValue(TEXT, 'nodejs_heap_size_used_bytes')).toBe(23150464)
    expect(metricValue(TEXT, 'nodejs_active_handles_total')).toBe(200)
  })

  it('gives null for an absent, labelled-only or non-numeric metric', () => {
    expect(metricValue(TEXT, 'nodejs_eventloop_lag_seconds')).toBeNull()
    expect(metricValue(TEXT, 'nodejs_active_handles')).toBeNull()
    expect(metricValue(TEXT, 'nodejs_external_memory_bytes')).toBeNull()
  })
})

import { describe, expect, it } from 'vitest'
import { readSample, samplesOf, sumSamples } from './prometheus-text.ts'

const TEXT = `# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.
# TYPE nodejs_heap_size_used_bytes gauge
nodejs_heap_size_used_bytes 23150464
nodejs_heap_size_used_bytes_extra 1
nodejs_active_handles{type="Socket"} 198
nodejs_active_handles_total 200
nodejs_external_memory_bytes NaN
realtime_clients{protocol="sse"} 12
realtime_clients{protocol="websocket"} 998
realtime_clients_extra{protocol="websocket"} 5
realtime_frames_sent_total{protocol="sse",encoding="json"} 40
realtime_frames_sent_total{protocol="sse",encoding="binary"} 2
realtime_frames_sent_total{protocol="websocket",encoding="json"} 7
realtime_handler_errors_total{route="/a,b",reason="say \\"hi\\""} 3
`

describe('readSample', () => {
  it('reads an unlabelled sample by its exact name', () => {
    expect(readSample(TEXT, 'nodejs_heap_size_used_bytes')).toBe(23150464)
    expect(readSample(TEXT, 'nodejs_active_handles_total')).toBe(200)
  })

  it('gives null for an absent, labelled-only or non-numeric metric when no label is asked', () => {
    expect(readSample(TEXT, 'nodejs_eventloop_lag_seconds')).toBeNull()
    expect(readSample(TEXT, 'nodejs_active_handles')).toBeNull()
    expect(readSample(TEXT, 'nodejs_external_memory_bytes')).toBeNull()
  })

  it('picks the sample with the labels asked, ignoring metrics that only share the prefix', () => {
    expect(readSample(TEXT, 'realtime_clients', { protocol: 'websocket' })).toBe(998)
    expect(readSample(TEXT, 'realtime_clients', { protocol: 'long-poll' })).toBeNull()
    expect(readSample('realtime_clients_extra 5', 'realtime_clients')).toBeNull()
  })

  it('reads label values holding commas and escaped quotes', () => {
    expect(samplesOf(TEXT, 'realtime_handler_errors_total')[0]?.labels).toEqual({
      route: '/a,b',
      reason: 'say \\"hi\\"',
    })
  })
})

describe('sumSamples', () => {
  it('sums a counter over every label set that includes the labels asked', () => {
    expect(sumSamples(TEXT, 'realtime_frames_sent_total', { protocol: 'sse' })).toBe(42)
    expect(sumSamples(TEXT, 'realtime_frames_sent_total')).toBe(49)
    expect(sumSamples(TEXT, 'no_such_metric')).toBe(0)
  })
})

/**
 * The protocol table (`servers/transports/protocols.ts`) against every part that lists
 * protocols: a descriptor without a scenario, a transport, a guard row, a live client, a
 * colour or a chart fails here, by name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { reportSchema } from '../../load/bench/report-schema.ts'
import { pathKind } from '../../servers/http/access-guard.ts'
import { startServer, type RunningServer } from '../../servers/main.ts'
import {
  isProtocol,
  PROTOCOL_TABLE,
  PROTOCOLS,
  protocolAtPath,
} from '../../servers/transports/protocols.ts'
import { TRANSPORTS } from '../../servers/transports/registry.ts'
import { CHARTED_METRICS, latencyChart, metricChart } from '../../site/src/lib/chart-specs.ts'
import { PROTOCOL_COLOURS, PROTOCOL_LABELS } from '../../site/src/lib/labels.ts'
import { runEntryOf } from '../../site/src/lib/results-loader.ts'
import { LIVE_TRANSPORTS } from '../../site/src/live/registry.ts'

const ROOT = join(import.meta.dirname, '../..')

describe('the protocol table', () => {
  it('lists each protocol once, in fallback order, each on a path of its own', () => {
    expect(PROTOCOLS.map((protocol) => PROTOCOL_TABLE[protocol].fallbackRank)).toEqual(
      PROTOCOLS.map((_, index) => index),
    )
    const paths = PROTOCOLS.map((protocol) => PROTOCOL_TABLE[protocol].path)
    expect(new Set(paths).size).toBe(PROTOCOLS.length)
    for (const protocol of PROTOCOLS) {
      expect(protocolAtPath(PROTOCOL_TABLE[protocol].path)).toBe(protocol)
      expect(isProtocol(protocol)).toBe(true)
    }
    expect(isProtocol('toString')).toBe(false)
    expect(protocolAtPath('/nope')).toBeUndefined()
  })

  it.each(PROTOCOLS)('%s has a k6 scenario that requests its path', (protocol) => {
    const { scenario, path } = PROTOCOL_TABLE[protocol]
    const file = join(ROOT, scenario)
    expect(existsSync(file), `${scenario} is missing`).toBe(true)
    expect(readFileSync(file, 'utf8')).toContain(path)
    expect(readdirSync(join(ROOT, 'load/scenarios'))).toContain(scenario.split('/').at(-1))
  })

  it.each(PROTOCOLS)(
    '%s has a transport, a guard row, a live client, a label and a colour',
    (protocol) => {
      const { path, guard } = PROTOCOL_TABLE[protocol]
      expect(TRANSPORTS[protocol]().name).toBe(protocol)
      expect(pathKind(path)).toBe(guard)
      expect(LIVE_TRANSPORTS[protocol].path).toBe(path)
      expect(PROTOCOL_LABELS[protocol]).toBe(PROTOCOL_TABLE[protocol].label)
      expect(PROTOCOL_COLOURS[protocol]).toMatch(/^#[0-9a-f]{6}$/)
    },
  )

  it('draws every protocol on the results page: its latency chart and a line in each metric chart', () => {
    const report = reportSchema.parse(
      JSON.parse(readFileSync(join(ROOT, 'results/published/report.json'), 'utf8')),
    )
    // Every protocol gets the steps of the first one, so a descriptor without results still
    // shows whether the site can draw it.
    const template = report.steps.filter((step) => step.protocol === report.steps[0]?.protocol)
    const steps = PROTOCOLS.flatMap((protocol) => template.map((step) => ({ ...step, protocol })))
    const run = runEntryOf({ ...report, steps }, 'published', 'results/published/report.json')
    for (const protocol of PROTOCOLS) {
      const chart = latencyChart(run, protocol)
      expect(chart.id).toBe(`latency-${protocol}`)
      expect(chart.x.length, `${protocol}: no latency chart`).toBeGreaterThan(0)
    }
    for (const metric of CHARTED_METRICS) {
      const labels = metricChart(run, metric)
        .lines.filter((line) => line.dashed !== true)
        .map((line) => line.label)
      expect(labels).toEqual(PROTOCOLS.map((protocol) => PROTOCOL_TABLE[protocol].label))
    }
  })
})

describe('a server with every protocol of the table', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer({ port: 0, rate: 20, serveSite: false })
  })
  afterAll(async () => {
    await server.close()
  })

  it.each(PROTOCOLS)('serves %s on its path', async (protocol) => {
    const { path, upgrade } = PROTOCOL_TABLE[protocol]
    if (upgrade) {
      const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}${path}`)
      const first = await new Promise<string>((resolve, reject) => {
        socket.once('message', (data: Buffer) => {
          resolve(data.toString())
        })
        socket.once('error', reject)
      })
      socket.terminate()
      expect(first).toContain('"type":"snapshot"')
      return
    }
    const controller = new AbortController()
    const res = await fetch(`${server.url}${path}`, {
      headers: { Accept: 'text/event-stream' },
      signal: controller.signal,
    })
    expect(res.status).toBe(200)
    controller.abort()
  })
})

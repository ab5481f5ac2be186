/**
 * The bench's distributed load and variant dimensions, end to end with the real servers and
 * engine: `--load-processes 2` merges two engine processes into one step of the same shape,
 * and `--cluster 2` runs the same ladder on a Redis + nginx cluster beside the single server.
 */
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { reportSchema, type StepResult } from '../../load/bench/report-schema.ts'
import { parseSeries } from '../../load/kit/series.ts'
import { clusterUnavailable } from '../../load/bench/server-under-test.ts'

const ROOT = resolve(import.meta.dirname, '..', '..')
const OUT = join(ROOT, 'test-output', `bench-variants-${String(process.pid)}`)

afterAll(() => {
  rmSync(OUT, { recursive: true, force: true })
})

function runBench(
  args: readonly string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['load/bench/main.ts', ...args],
      { cwd: ROOT, timeout: 170_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
        done({ code, stdout, stderr })
      },
    )
  })
}

interface ExportMetric {
  count?: number
}
const exportOf = (file: string): Record<string, ExportMetric | undefined> =>
  (JSON.parse(readFileSync(file, 'utf8')) as { metrics: Record<string, ExportMetric> }).metrics

function expectDelivered(step: StepResult): void {
  const name = `${step.protocol} ${step.topology ?? 'single'} ${String(step.connections)}`
  expect(step.framesReceived, name).toBeGreaterThan(0)
  expect(step.gaps, name).toBe(0)
  expect(step.connected, name).toBe(step.connections)
}

describe('npm run bench -- --quick --load-processes 2', () => {
  it(
    'merges two engine processes into steps of the same shape with summed counts',
    { timeout: 180_000 },
    async () => {
      const out = join(OUT, 'processes')
      const { code, stdout, stderr } = await runBench([
        '--quick',
        '--json',
        '--engine',
        'builtin',
        '--protocols',
        'websocket,long-poll',
        '--load-processes',
        '2',
        '--out-dir',
        out,
      ])
      expect([0, 1], stderr).toContain(code)
      const report = reportSchema.parse(JSON.parse(stdout))
      expect(report.parameters.loadProcesses).toBe(2)
      expect(report.steps.length).toBeGreaterThanOrEqual(2)
      for (const step of report.steps) {
        expect(step.loadProcesses).toBe(2)
        expectDelivered(step)
        const folder = join(out, step.files.summary, '..')
        const parts = [1, 2].map((n) => exportOf(join(folder, `summary-${String(n)}.json`)))
        const merged = exportOf(join(out, step.files.summary))
        // Each process ran part of the VUs; the merged export counts both.
        const frames = parts.map((p) => p['feed_frames']?.count ?? 0)
        for (const count of frames) expect(count).toBeGreaterThan(0)
        expect(merged['feed_frames']?.count).toBe(frames.reduce((a, b) => a + b, 0))
        // Latency statistics come from every raw sample: as many as both processes' series saw.
        const perProcess = new Map<string, number>()
        for (const line of parseSeries(readFileSync(join(out, step.files.series), 'utf8'))) {
          if (line.metric !== 'feed_latency' || line.type !== 'trend') continue
          const key = line.tags['loadProcess'] ?? '?'
          perProcess.set(key, (perProcess.get(key) ?? 0) + line.count)
        }
        expect([...perProcess.keys()].sort()).toEqual(['1', '2'])
        expect(merged['feed_latency']?.count).toBe([...perProcess.values()].reduce((a, b) => a + b))
        // The raw samples are merged and then removed.
        expect(existsSync(join(folder, 'samples-1.ndjson'))).toBe(false)
      }
    },
  )
})

const missing = clusterUnavailable()
describe.skipIf(missing !== null)(
  `npm run bench -- --quick --cluster 2${missing === null ? '' : ` (skipped: ${missing})`}`,
  () => {
    it(
      'runs the ladder on one server and on the cluster, with frames and no gaps on both',
      { timeout: 180_000 },
      async () => {
        const out = join(OUT, 'cluster')
        const { code, stdout, stderr } = await runBench([
          '--quick',
          '--json',
          '--engine',
          'builtin',
          '--protocols',
          'websocket',
          '--cluster',
          '2',
          '--out-dir',
          out,
        ])
        expect([0, 1], stderr).toContain(code)
        const report = reportSchema.parse(JSON.parse(stdout))
        expect(report.parameters.topologies).toEqual(['single', 'cluster-2'])
        const cluster = report.steps.filter((s) => s.topology === 'cluster-2')
        const single = report.steps.filter((s) => s.topology === 'single')
        expect(cluster.length).toBeGreaterThan(0)
        expect(single.length).toBeGreaterThan(0)
        for (const step of [...single, ...cluster]) expectDelivered(step)
        for (const step of cluster) {
          // Summed over redis, the ticker, two instances and nginx; nginx and redis also apart.
          expect(step.serverParts?.nginx.rssMiB).toBeGreaterThan(0)
          expect(step.serverParts?.redis.rssMiB).toBeGreaterThan(0)
          expect(step.server.rssMiB).toBeGreaterThan(
            (step.serverParts?.nginx.rssMiB ?? 0) + (step.serverParts?.redis.rssMiB ?? 0),
          )
          expect(step.server.cpuUserPercent).toBeDefined()
        }
        expect(report.ladders.map((l) => l.topology)).toEqual(['single', 'cluster-2'])
      },
    )
  },
)

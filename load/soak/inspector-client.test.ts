import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildHeapGraph, totalsByClass, type HeapSnapshotJson } from './heap-snapshot-diff.ts'
import { InspectorClient, inspectorUrlFrom } from './inspector-client.ts'

describe('inspectorUrlFrom', () => {
  it('reads the URL from the line Node prints, and null before it arrives', () => {
    expect(inspectorUrlFrom('Debugger listening on ws://127.0.0.1:9229/abc-1\nFor help')).toBe(
      'ws://127.0.0.1:9229/abc-1',
    )
    expect(inspectorUrlFrom('Debugger listen')).toBeNull()
  })
})

// A real `node --inspect` child holding 250 instances of a class the snapshot must find.
const CHILD = `
class SoakMarker { constructor(i) { this.i = i } }
globalThis.kept = Array.from({ length: 250 }, (_, i) => new SoakMarker(i))
setInterval(() => {}, 1000)
`

describe('InspectorClient against node --inspect', () => {
  let child: ChildProcessByStdio<null, null, Readable>
  let client: InspectorClient
  const dir = mkdtempSync(join(tmpdir(), 'inspector-client-test-'))

  beforeAll(async () => {
    child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '-e', CHILD], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    const url = await new Promise<string>((resolve, reject) => {
      let text = ''
      const timer = setTimeout(() => {
        reject(new Error(`no inspector URL: ${text}`))
      }, 15_000)
      child.stderr.on('data', (chunk: Buffer) => {
        text += chunk.toString()
        const found = inspectorUrlFrom(text)
        if (found !== null) {
          clearTimeout(timer)
          resolve(found)
        }
      })
    })
    client = await InspectorClient.connect(url)
  }, 20_000)

  afterAll(() => {
    client.close()
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('reads the heap that survives a full GC', async () => {
    const heap = await client.heapAfterGc()
    expect(heap.usedSize).toBeGreaterThan(100_000)
    expect(heap.totalSize).toBeGreaterThanOrEqual(heap.usedSize)
  })

  it('rejects an unknown method with the protocol error', async () => {
    await expect(client.call('HeapProfiler.noSuchMethod')).rejects.toThrow(
      /inspector: .*noSuchMethod/,
    )
  })

  it('streams a heap snapshot that parses and holds the child objects', async () => {
    const file = join(dir, 'child.heapsnapshot')
    const bytes = await client.takeHeapSnapshot(file)
    const text = readFileSync(file, 'utf8')
    expect(Buffer.byteLength(text)).toBe(bytes)
    const totals = totalsByClass(buildHeapGraph(JSON.parse(text) as HeapSnapshotJson))
    expect(totals.get('SoakMarker')?.count).toBe(250)
  }, 60_000)
})

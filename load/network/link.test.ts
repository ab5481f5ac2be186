import { describe, expect, it } from 'vitest'
import {
  LINK_LIMITS,
  lateBudgetMs,
  linkShortfalls,
  placeServer,
  relayWindow,
  startLink,
} from './link.ts'
import { connect, createServer } from 'node:net'

const line = (t: number, chunks: number, lateChunks: number, lateMsSum = 0, maxLateMs = 1) => ({
  t,
  chunks,
  lateChunks,
  lateMsSum,
  maxLateMs,
})

describe('relayWindow', () => {
  it('takes the counters between the last lines at or before each end of the window', () => {
    const lines = [
      line(99, 0, 0),
      line(100, 100, 0, 50),
      line(101, 1100, 5, 600),
      line(102, 2100, 25, 1050),
    ]
    expect(relayWindow(lines, 40, 100.5, 102)).toEqual({
      cpuPercent: 40,
      chunksPerS: 1000,
      latePercent: 1.25,
      meanLateMs: 0.5,
      maxLateMs: 1,
    })
  })

  it('is null when the window holds fewer than two lines', () => {
    expect(relayWindow([line(100, 10, 0)], 5, 100, 105)).toBeNull()
    expect(relayWindow([], 5, 100, 105)).toBeNull()
  })
})

describe('linkShortfalls', () => {
  const window = { cpuPercent: 20, chunksPerS: 1000, latePercent: 3, meanLateMs: 0.6, maxLateMs: 9 }
  it('finds no fault in a relay with room to spare', () => {
    expect(linkShortfalls(window, 75)).toEqual([])
  })
  it('names a relay near one core, and one whose timers run late beyond its accuracy budget', () => {
    expect(linkShortfalls({ ...window, cpuPercent: LINK_LIMITS.relayCpuPercent + 5 }, 75)).toEqual([
      'link emulator CPU 90 % of one core',
    ])
    // ±2 ms or ±5 % of the one-way delay: 2 ms on a 1 ms LAN, 3.75 ms on 4g, 7.5 ms on 3g.
    expect(lateBudgetMs(0.5)).toBe(2)
    expect(lateBudgetMs(75)).toBe(3.75)
    const late = { ...window, meanLateMs: 2.54, latePercent: 40.4 }
    expect(linkShortfalls(late, 0.5)).toEqual([
      'link emulator 2.5 ms late per chunk on average, over its 2.0 ms accuracy budget (40 % over 2 ms)',
    ])
    expect(linkShortfalls(late, 75)).toEqual([])
    expect(linkShortfalls({ ...late, meanLateMs: 8 }, 150)).toHaveLength(1)
  })
})

describe('placeServer and startLink', () => {
  it('puts nothing in front on loopback, and a relay process for a delayed profile', async () => {
    const loopback = placeServer('loopback')
    expect(loopback).toMatchObject({ host: '127.0.0.1', prefix: [], namespace: null })
    const direct = await startLink(loopback, 'http://127.0.0.1:1')
    expect(direct.relay).toBeNull()
    expect(direct.url).toBe('http://127.0.0.1:1')

    const server = createServer((socket) => socket.end('hello'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    const port = typeof address === 'object' && address !== null ? address.port : 0
    const link = await startLink(placeServer('lan'), `http://127.0.0.1:${String(port)}`)
    try {
      expect(link.relay?.pid).toBeGreaterThan(0)
      expect(link.url).not.toBe(`http://127.0.0.1:${String(port)}`)
      const text = await new Promise<string>((resolve, reject) => {
        const client = connect(Number(new URL(link.url).port), '127.0.0.1')
        let got = ''
        client.on('data', (chunk: Buffer) => {
          got += chunk.toString()
        })
        client.on('end', () => {
          resolve(got)
        })
        client.on('error', reject)
      })
      expect(text).toBe('hello')
    } finally {
      await link.stop()
      server.close()
    }
  })

  it('refuses an unknown profile', () => {
    expect(() => placeServer('5g')).toThrow(/unknown network profile "5g"/)
  })
})

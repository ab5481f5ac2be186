/**
 * A real cross-site WebSocket hijacking attempt from Chromium: a page served from another
 * loopback address (127.0.0.2) opens `new WebSocket('ws://127.0.0.1:<port>/ws')` against a
 * server that allows only the lab page's origin; the browser sends its true Origin, the
 * server answers 403 and the socket never opens, while the allowed page connects and gets
 * the snapshot. Skipped with a reason when /usr/bin/chromium is missing.
 */
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../servers/main.ts'

const CHROMIUM = '/usr/bin/chromium'
const hasChromium = existsSync(CHROMIUM)

let lab: RunningServer
let browser: Browser
const pageServers: Server[] = []

/** Serves a blank page on `host`, so that a browser tab has that origin. */
async function servePage(host: string): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>page</title>')
  })
  pageServers.push(server)
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return `http://${host}:${String((server.address() as AddressInfo).port)}`
}

/** Opens a WebSocket from a page at `pageUrl`; reports whether it opened and its first message type. */
async function tryFrom(pageUrl: string, target: string) {
  const page = await browser.newPage()
  const socketErrors: string[] = []
  page.on('websocket', (socket) => socket.on('socketerror', (error) => socketErrors.push(error)))
  await page.goto(pageUrl)
  const result = await page.evaluate(
    (url) =>
      new Promise<{ opened: boolean; first: string | null; code: number }>((resolve) => {
        const ws = new WebSocket(url)
        let opened = false
        ws.onopen = () => {
          opened = true
        }
        ws.onmessage = (event) => {
          ws.close()
          resolve({ opened, first: String(event.data).slice(0, 30), code: 0 })
        }
        ws.onclose = (event) => {
          resolve({ opened, first: null, code: event.code })
        }
        setTimeout(() => {
          resolve({ opened, first: null, code: -1 })
        }, 10_000)
      }),
    target,
  )
  await page.close()
  return { ...result, socketErrors }
}

describe.skipIf(!hasChromium)('cross-site WebSocket from Chromium', () => {
  let allowedPage = ''
  let attackerPage = ''

  beforeAll(async () => {
    allowedPage = await servePage('127.0.0.1')
    attackerPage = await servePage('127.0.0.2')
    lab = await startServer({ port: 0, rate: 20, serveSite: false, allowedOrigins: [allowedPage] })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
  }, 60_000)

  afterAll(async () => {
    await browser.close()
    await lab.close()
    for (const server of pageServers) server.close()
  })

  it('refuses the page from another origin before the socket opens', async () => {
    const target = `${lab.url.replace(/^http/, 'ws')}/ws`
    const attacker = await tryFrom(attackerPage, target)
    expect(attacker.opened).toBe(false)
    expect(attacker.first).toBeNull()
    expect(attacker.code).toBe(1006)
    expect(attacker.socketErrors.join(' ')).toMatch(/403/)

    const allowed = await tryFrom(allowedPage, target)
    expect(allowed.opened).toBe(true)
    expect(allowed.first).toMatch(/^\{"type":"snapshot"/)
  }, 60_000)
})

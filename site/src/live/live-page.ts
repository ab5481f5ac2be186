/**
 * The live page's island: one panel per protocol (canvas + counters + buttons), the fallback
 * demo, and the "no server" notice. Servers are reached on the page's own origin, or on
 * `?server=<origin>` when the site is served elsewhere (e.g. `npm run site`).
 */
import { type Sprite } from '../../../servers/feed/messages.ts'
import { PROTOCOLS, type Protocol } from '../../../servers/transports/protocols.ts'
import type { FeedClient } from './feed-client.ts'
import type { FeedCounters } from './feed-tracker.ts'
import { LIVE_TRANSPORTS } from './registry.ts'
import { FallbackChain } from './fallback.ts'

/** The feed's box is 400×400 (DESIGN.md, "The feed"). */
const BOX = 400
const COUNTER_REFRESH_MS = 200

const baseUrl = new URLSearchParams(window.location.search).get('server') ?? window.location.origin

interface Panel {
  client: FeedClient
  canvas: HTMLCanvasElement
  colour: string
  counters: Map<keyof FeedCounters, HTMLElement>
  /** Shows the encoding the frames arrive in. */
  encoding: HTMLElement | null
}

function drawSprites(canvas: HTMLCanvasElement, sprites: readonly Sprite[], colour: string): void {
  const context = canvas.getContext('2d')
  if (!context) return
  const scale = canvas.width / BOX
  context.clearRect(0, 0, canvas.width, canvas.height)
  context.fillStyle = colour
  for (const sprite of sprites) {
    context.beginPath()
    context.arc(sprite.x * scale, sprite.y * scale, 10 * scale, 0, 2 * Math.PI)
    context.fill()
  }
}

/** The figures that describe a flowing stream: a stopped panel shows "stopped" instead. */
const FLOWING: ReadonlySet<keyof FeedCounters> = new Set([
  'latencyP50Ms',
  'latencyP95Ms',
  'behindMs',
  'framesPerSecond',
  'requestsPerSecond',
  'bytesPerSecond',
])

function formatCounter(key: keyof FeedCounters, counters: FeedCounters, stopped: boolean): string {
  if (stopped && FLOWING.has(key)) return 'stopped'
  const value = counters[key]
  if (value === null) return '—'
  switch (key) {
    case 'latencyP50Ms':
    case 'latencyP95Ms':
      return `${value.toFixed(1)} ms`
    case 'behindMs':
      return `${value.toFixed(0)} ms`
    case 'requestsPerSecond':
      return value.toFixed(1)
    case 'bytesPerSecond':
      return value >= 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${value.toFixed(0)} B`
    default:
      return String(value)
  }
}

function setUpPanel(element: HTMLElement, protocol: Protocol): Panel {
  const status = element.querySelector<HTMLElement>('[data-status]')
  const transport = LIVE_TRANSPORTS[protocol]
  const client = transport.create(baseUrl, transport.path, {
    onState: (state, detail) => {
      if (!status) return
      status.textContent = detail
      status.dataset['state'] = state
    },
  })
  element.querySelector('[data-action="start"]')?.addEventListener('click', () => {
    client.start()
  })
  element.querySelector('[data-action="stop"]')?.addEventListener('click', () => {
    client.stop()
  })
  element.querySelector('[data-action="kill"]')?.addEventListener('click', () => {
    client.kill()
  })
  const counters = new Map<keyof FeedCounters, HTMLElement>()
  for (const cell of element.querySelectorAll<HTMLElement>('[data-counter]')) {
    counters.set(cell.dataset['counter'] as keyof FeedCounters, cell)
  }
  const canvas = element.querySelector('canvas') ?? document.createElement('canvas')
  return {
    client,
    canvas,
    colour: element.dataset['colour'] ?? '#3b82f6',
    counters,
    encoding: element.querySelector<HTMLElement>('[data-encoding]'),
  }
}

function setUpFallback(root: HTMLElement): void {
  const log = root.querySelector<HTMLOListElement>('[data-fallback-log]')
  const canvas = root.querySelector('canvas')
  const chain = new FallbackChain(baseUrl, (step) => {
    const item = document.createElement('li')
    item.textContent = `${step.protocol}: ${step.outcome} — ${step.detail}`
    item.dataset['outcome'] = step.outcome
    log?.append(item)
  })
  root.querySelector('[data-action="fallback-run"]')?.addEventListener('click', () => {
    log?.replaceChildren()
    const blocked = new Set<Protocol>(
      [...root.querySelectorAll<HTMLInputElement>('input[data-block]:checked')].map(
        (input) => input.dataset['block'] as Protocol,
      ),
    )
    chain.start(blocked)
  })
  root.querySelector('[data-action="fallback-stop"]')?.addEventListener('click', () => {
    chain.stop()
  })
  const draw = (): void => {
    if (canvas && chain.current) drawSprites(canvas, chain.current.tracker.sprites, '#a855f7')
    requestAnimationFrame(draw)
  }
  requestAnimationFrame(draw)
}

async function serverReachable(): Promise<boolean> {
  try {
    const response = await fetch(new URL('/healthz', baseUrl), {
      cache: 'no-store',
      signal: AbortSignal.timeout(3000),
    })
    return response.ok
  } catch {
    return false
  }
}

/** One entry of `GET /api/links`: the server itself (`loopback`) or an emulated link in front of it. */
interface LinkEntry {
  name: string
  label: string
  url: string
}

/** The links the server lists, or none (an older server, or none started). */
async function linksOf(): Promise<LinkEntry[]> {
  try {
    const response = await fetch(new URL('/api/links', baseUrl), { cache: 'no-store' })
    if (!response.ok) return []
    const body = (await response.json()) as { links?: unknown }
    if (!Array.isArray(body.links)) return []
    return body.links.filter(
      (link): link is LinkEntry =>
        typeof link === 'object' &&
        link !== null &&
        typeof (link as LinkEntry).name === 'string' &&
        typeof (link as LinkEntry).url === 'string',
    )
  } catch {
    return []
  }
}

/**
 * The network selector: the links the server lists, the one this page's clients cross
 * selected. Picking another reopens the page through it (or, with `?server=`, points the
 * clients at it), so every request and stream of the four panels crosses that link.
 */
async function setUpNetworks(): Promise<void> {
  const links = await linksOf()
  const holder = document.querySelector<HTMLElement>('[data-networks]')
  const select = holder?.querySelector<HTMLSelectElement>('[data-network]')
  const label = holder?.querySelector<HTMLElement>('[data-network-label]')
  document
    .querySelector<HTMLElement>('[data-networks-off]')
    ?.toggleAttribute('hidden', links.length > 0)
  if (!holder || !select || links.length === 0) return
  const here = new URL(baseUrl).host
  const current = links.find((link) => new URL(link.url).host === here)
  for (const link of links) {
    const option = document.createElement('option')
    option.value = link.url
    option.textContent = link.name
    option.selected = link === current
    select.append(option)
  }
  holder.dataset['current'] = current?.name ?? 'unknown'
  if (label) label.textContent = current?.label ?? ''
  holder.hidden = false
  select.addEventListener('change', () => {
    const target = new URL(window.location.href)
    if (new URLSearchParams(window.location.search).has('server')) {
      target.searchParams.set('server', select.value)
    } else {
      const origin = new URL(select.value)
      target.protocol = origin.protocol
      target.host = origin.host
    }
    window.location.assign(target.toString())
  })
}

async function main(): Promise<void> {
  const notice = document.querySelector<HTMLElement>('[data-live-status]')
  const reachable = await serverReachable()
  if (notice) {
    notice.dataset['state'] = reachable ? 'up' : 'down'
    notice.hidden = false
    const where = notice.querySelector('[data-server]')
    if (where) where.textContent = baseUrl
    const label = notice.querySelector('[data-server-label]')
    if (label) label.textContent = reachable ? 'Servers at ' : 'No server answered at '
  }
  document.querySelector<HTMLElement>('[data-when-down]')?.toggleAttribute('hidden', reachable)
  if (!reachable) return
  void setUpNetworks()
  const panels = PROTOCOLS.flatMap((protocol) => {
    const element = document.querySelector<HTMLElement>(`[data-panel="${protocol}"]`)
    return element ? [setUpPanel(element, protocol)] : []
  })
  for (const panel of panels) panel.client.start()
  const fallback = document.querySelector<HTMLElement>('[data-fallback]')
  if (fallback) setUpFallback(fallback)
  let lastCounters = 0
  const frame = (now: number): void => {
    for (const panel of panels)
      drawSprites(panel.canvas, panel.client.tracker.sprites, panel.colour)
    if (now - lastCounters >= COUNTER_REFRESH_MS) {
      lastCounters = now
      for (const panel of panels) {
        const counters = panel.client.tracker.counters()
        const stopped = panel.client.state === 'stopped'
        for (const [key, cell] of panel.counters)
          cell.textContent = formatCounter(key, counters, stopped)
        if (panel.encoding) panel.encoding.textContent = panel.client.encoding ?? '—'
      }
    }
    requestAnimationFrame(frame)
  }
  requestAnimationFrame(frame)
  window.addEventListener('pagehide', () => {
    for (const panel of panels) panel.client.dispose()
  })
}

void main()

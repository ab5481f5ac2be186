/**
 * The study site in real Chromium: it builds; a question page shows a measured figure read from
 * the results; the results page draws a chart per protocol, and a run with variant steps its
 * single-vs-cluster and JSON-vs-binary comparison; the live page, against a server this test
 * starts, shows frames on all four panels and resumes without a gap after "kill connection" —
 * also against a `--encoding binary` server. Screenshots of each page land in test-output/.
 *
 * The site is built from a temporary results folder: every run under results/ plus the real quick
 * variants run of test/site/fixtures (results/ holds only the published run, which may have no
 * variant steps).
 */
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { startServer, type RunningServer } from '../../servers/main.ts'
import { freePorts } from '../../load/kit/child-process.ts'
import { liveLinksOf, startLiveLinks } from '../../load/network/live-links.ts'
import { PROTOCOLS, type Protocol } from '../../servers/transports/protocols.ts'
import { SHORT_POLL_INTERVAL_MS } from '../../site/src/live/poll-client.ts'
import { VARIANT_BENCH_COMMAND, formatFigure } from '../../site/src/lib/figures.ts'
import { stepShortfalls } from '../../load/bench/ladder.ts'
import { PROTOCOL_LABELS } from '../../site/src/lib/labels.ts'
import {
  isDefaultVariant,
  reportSchema,
  sameVariant,
  type Report,
} from '../../load/bench/report-schema.ts'
import { isMetricId, METRICS } from '../../load/bench/metrics.ts'
import { SOURCES_LINE } from './fixtures/step.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const DIST = join(ROOT, 'site/dist')
const OUTPUT = join(ROOT, 'test-output')
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
/** The fixture run with variant steps, and its folder name in the build's results. */
const VARIANT_FIXTURE = join(ROOT, 'test/site/fixtures/quick-variants')
const VARIANT_RUN = 'quick-variants'
const hasChromium = existsSync(CHROMIUM)
if (!hasChromium)
  console.warn(`site tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`)

/** Every run under results/ (linked) and the variants fixture (copied), in a new temporary folder. */
function resultsForBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'site-results-'))
  const results = join(ROOT, 'results')
  if (existsSync(results))
    for (const folder of readdirSync(results))
      if (existsSync(join(results, folder, 'report.json')))
        symlinkSync(join(results, folder), join(dir, folder))
  cpSync(VARIANT_FIXTURE, join(dir, VARIANT_RUN), { recursive: true })
  return dir
}

/** The runs the site was built from, by folder. */
function builtRuns(dir: string): { folder: string; report: Report }[] {
  return readdirSync(dir)
    .filter((folder) => existsSync(join(dir, folder, 'report.json')))
    .map((folder) => ({
      folder,
      report: reportSchema.parse(
        JSON.parse(readFileSync(join(dir, folder, 'report.json'), 'utf8')),
      ),
    }))
}

/**
 * The run the site cites from: results/published, else the newest run, as site/src/lib/figures.ts
 * picks it; its report and the folder it lies in.
 */
function citedRun(dir: string): (Report & { folder: string }) | undefined {
  if (!existsSync(dir)) return undefined
  const runs = readdirSync(dir)
    .filter((folder) => existsSync(join(dir, folder, 'report.json')))
    .map((folder) => ({
      folder,
      report: reportSchema.parse(
        JSON.parse(readFileSync(join(dir, folder, 'report.json'), 'utf8')),
      ),
    }))
  const published = runs.find((run) => run.folder === 'published')
  const chosen =
    published ?? runs.sort((a, b) => b.report.createdAt.localeCompare(a.report.createdAt))[0]
  return chosen && { ...chosen.report, folder: chosen.folder }
}

/** Tables of the page wider than their column (clipped behind a sideways scroll). */
async function clippedTables(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('main table')]
      .filter((table) => table.scrollWidth > table.clientWidth + 1)
      .map(
        (table) =>
          `${table.className || 'table'}: ${String(table.scrollWidth)} px in ${String(table.clientWidth)}`,
      ),
  )
}

describe.skipIf(!hasChromium)('the study site', () => {
  let build: ReturnType<typeof spawnSync>
  let server: RunningServer
  let browser: Browser
  let resultsDir: string

  beforeAll(async () => {
    resultsDir = resultsForBuild()
    build = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'build', '--root', 'site'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ASTRO_TELEMETRY_DISABLED: '1',
          REALTIME_LAB_RESULTS_DIR: resultsDir,
        },
        encoding: 'utf8',
        timeout: 280_000,
      },
    )
    mkdirSync(OUTPUT, { recursive: true })
    server = await startServer({ port: 0 })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  }, 300_000)

  afterAll(async () => {
    await browser.close()
    await server.close()
    rmSync(resultsDir, { recursive: true, force: true })
  })

  const openPage = async (path: string): Promise<Page> => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    await page.goto(`${server.url}${path}`)
    return page
  }

  it('builds every kind of page, with a search index', () => {
    expect(build.status, String(build.stderr).slice(-2000)).toBe(0)
    for (const page of [
      'index.html',
      'questions/index.html',
      'results/index.html',
      'results/compare/index.html',
      'live/index.html',
      'labs/first-stream/index.html',
      'labs/polling-fallback/index.html',
      'seeds/index.html',
    ]) {
      expect(existsSync(join(DIST, page)), page).toBe(true)
    }
    expect(existsSync(join(DIST, 'pagefind/pagefind.js'))).toBe(true)
    // Quiet unless something is wrong: a newcomer reads any [WARN] as a broken build.
    const output = `${String(build.stdout)}${String(build.stderr)}`
    expect(output.match(/.*\[WARN\].*/g) ?? []).toEqual([])
  })

  it('links near-duplicate answers to each other, and answers that mention another one', () => {
    const page = (id: string) => readFileSync(join(DIST, 'questions', id, 'index.html'), 'utf8')
    const backpressure = page('node-servers/backpressure')
    expect(backpressure).toContain('id="related-questions"')
    expect(backpressure).toContain('href="/questions/reliability/backpressure-slow-consumers/"')
    expect(page('reliability/backpressure-slow-consumers')).toContain(
      'href="/questions/node-servers/backpressure/"',
    )
    // "see the sticky-sessions question" in prose is a link to it.
    expect(page('scaling/load-balancing-long-lived-connections')).toMatch(
      /<a href="\/questions\/scaling\/sticky-sessions\/">the sticky[\s-]sessions question<\/a>/,
    )
  })

  it('renders the seed coverage map, every item row linking an answer or lab', () => {
    const page = readFileSync(join(DIST, 'seed-coverage', 'index.html'), 'utf8')
    const rows = [...page.matchAll(/<tr>\s*<td>(\d{3}) ([^<]+)<\/td>[\s\S]*?<\/tr>/g)]
    // 6 + 38 + 60 + 15 + 13 items of seeds 000–004.
    expect(rows.length).toBe(132)
    for (const [row] of rows) expect(row).toMatch(/href="\/(questions|labs)\/[a-z0-9-]+/)
    expect(page).toContain('href="/questions/sse/limits-of-sse/"')
  })

  it('serves the favicon every page links, and a not-found page that points somewhere', async () => {
    const favicon = await fetch(`${server.url}/favicon.svg`)
    expect(favicon.status).toBe(200)
    expect(await favicon.text()).toContain('<svg')
    const missing = readFileSync(join(DIST, '404.html'), 'utf8')
    expect(missing).toContain('href="/questions/"')
    expect(missing).toContain('href="/live/"')
  })

  it('shows a question’s measured figure, read from the results', async () => {
    const run = citedRun(resultsDir)
    // A built question page that cites a figure in its frontmatter, preferring one the run measured.
    const questionsDir = join(DIST, 'questions')
    const pages = readdirSync(questionsDir, { recursive: true, encoding: 'utf8' })
      .filter((path) => path.split('/').length === 3 && path.endsWith('index.html'))
      .map((path) => ({ path, html: readFileSync(join(questionsDir, path), 'utf8') }))
      .filter(({ html }) => html.includes('data-testid="measured-box"'))
    expect(pages.length, 'no question page cites a metric').toBeGreaterThan(0)
    const measured = pages.find(({ html }) => html.includes('data-connections='))
    if (run !== undefined)
      expect(measured, `no cited figure was measured in run ${run.runId}`).toBeDefined()
    const chosen = measured ?? pages[0]
    const page = await openPage(`/questions/${(chosen?.path ?? '').replace(/index\.html$/, '')}`)
    if (run === undefined) {
      await expect
        .poll(() =>
          page.locator('[data-testid="measured-box"] [data-measured]').first().innerText(),
        )
        .toContain('no results yet')
    } else {
      const figure = page.locator('[data-testid="measured-box"] [data-connections]').first()
      const text = await figure.innerText()
      const id = (await figure.getAttribute('data-measured')) ?? ''
      const connections = Number(await figure.getAttribute('data-connections'))
      const design = (await figure.getAttribute('data-design')) ?? 'reference'
      const variant = {
        topology: (await figure.getAttribute('data-topology')) ?? undefined,
        encoding: (await figure.getAttribute('data-encoding')) ?? undefined,
      }
      expect(isMetricId(id)).toBe(true)
      if (!isMetricId(id)) return
      // Compact: the load in the figure, the run and the machine once, under the box.
      expect(text).toContain(`at ${connections.toLocaleString('en-GB')} clients`)
      expect(text).not.toContain(run.machineLabel)
      expect(await page.locator('.measured-run').innerText()).toContain(
        `From the run results/${run.folder}/ on ${run.machineLabel}`,
      )
      // Every value shown is METRICS[id].pick of the matching step, formatted: nothing typed by hand.
      for (const protocol of ((await figure.getAttribute('data-protocols')) ?? '').split(
        ',',
      ) as Protocol[]) {
        const step = run.steps.find(
          (candidate) =>
            candidate.protocol === protocol &&
            candidate.design === design &&
            candidate.connections === connections &&
            sameVariant(candidate, variant),
        )
        const value = step ? formatFigure(METRICS[id].pick(step), METRICS[id].unit) : 'not measured'
        expect(text).toContain(`${PROTOCOL_LABELS[protocol]} ${value}`)
      }
    }
    await page.screenshot({ path: join(OUTPUT, 'question.png'), fullPage: true })
    await page.close()
  })

  it('cites only steps that hold, except those marked failed=, and keeps lab links inside sentences', () => {
    const run = citedRun(resultsDir)
    if (run === undefined) return
    const questionsDir = join(DIST, 'questions')
    let cited = 0
    let failed = 0
    for (const path of readdirSync(questionsDir, { recursive: true, encoding: 'utf8' })) {
      if (!path.endsWith('index.html')) continue
      const html = readFileSync(join(questionsDir, path), 'utf8')
      for (const [, attributes = ''] of html.matchAll(/<span class="measured" ([^>]*)>/g)) {
        const attr = (name: string): string =>
          new RegExp(`data-${name}="([^"]*)"`).exec(attributes)?.[1] ?? ''
        cited++
        if (attr('failed') === 'true') {
          failed++
          continue
        }
        const variant = { topology: attr('topology'), encoding: attr('encoding') }
        for (const protocol of attr('protocols').split(',')) {
          const step = run.steps.find(
            (candidate) =>
              candidate.protocol === protocol &&
              candidate.design === attr('design') &&
              candidate.connections === Number(attr('connections')) &&
              sameVariant(candidate, variant),
          )
          expect(step, `${path}: ${attributes}`).toBeDefined()
          if (step !== undefined)
            expect(stepShortfalls(step, run), `${path}: ${protocol} ${attributes}`).toEqual([])
        }
      }
      // A lab named in prose is an inline link: no link card inside or splitting a paragraph.
      expect(html, path).not.toMatch(/<p>(?:(?!<\/p>)[\s\S])*<div class="sl-link-card/)
    }
    expect(cited).toBeGreaterThan(0)
    expect(failed).toBeLessThan(cited)
  })

  it('draws a latency chart for every protocol of the cited run', async () => {
    const run = citedRun(resultsDir)
    expect(run, 'no run under results/: run `npm run bench -- --quick` first').toBeDefined()
    const page = await openPage('/results/')
    const protocols = PROTOCOLS.filter((protocol) =>
      run?.steps.some((step) => step.protocol === protocol && step.design === 'reference'),
    )
    expect(protocols.length).toBeGreaterThan(0)
    for (const protocol of protocols) {
      const chart = page.locator(`#latency-${protocol}`)
      await expect.poll(() => chart.locator('[data-drawn="true"] canvas').count()).toBe(1)
    }
    await expect
      .poll(() => page.locator('[data-testid="claims-table"] tbody tr').count())
      .toBe(protocols.length)
    // Over emulated links: charts by profile, a row per protocol and profile, and seed 004's
    // claims set against 4g (loopback only when the run measured no 4g).
    const networks = [
      ...new Set(run?.steps.flatMap((step) => (step.network === undefined ? [] : [step.network]))),
    ]
    const claims = page.locator('[data-testid="claims-table"]')
    expect(await claims.getAttribute('data-network')).toBe(
      networks.includes('4g') ? '4g' : 'loopback',
    )
    if (networks.length > 0) {
      for (const id of ['network-latency', 'network-over-one-way', 'network-recovery']) {
        await expect
          .poll(() => page.locator(`#${id} [data-drawn="true"] canvas`).count(), {
            timeout: 10_000,
          })
          .toBe(1)
      }
      // The x axis names each profile (uPlot draws the ticks on its canvas, from the spec).
      const spec = JSON.parse(
        (await page.locator('#network-latency [data-chart]').getAttribute('data-chart')) ?? '{}',
      ) as { xLabels?: string[] }
      for (const network of networks) expect(spec.xLabels).toContain(network)
      expect(await page.locator('[data-testid="network-table"] tbody tr').count()).toBe(
        protocols.length * (networks.length + 1),
      )
      await page.locator('#networks').scrollIntoViewIfNeeded()
      await page.screenshot({ path: join(OUTPUT, 'results-networks.png') })
    }
    await page.screenshot({ path: join(OUTPUT, 'results.png'), fullPage: true })
    await page.close()
  })

  it('puts every protocol on one chart per metric, from zero, and reads a value where the cursor is', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } })
    await page.goto(`${server.url}/results/`)
    const chart = page.locator('#latency-p95')
    await expect.poll(() => chart.locator('[data-drawn="true"] canvas').count()).toBe(1)
    // One legend entry per protocol of the run (and the baseline's, dashed), each with a value.
    const run = citedRun(resultsDir)
    const protocols = PROTOCOLS.filter((protocol) =>
      run?.steps.some((step) => step.protocol === protocol && step.design === 'reference'),
    )
    const labels = await chart.locator('.u-legend .u-series .u-label').allTextContents()
    for (const protocol of protocols) expect(labels).toContain(PROTOCOL_LABELS[protocol])
    // Hover the middle of the plot: the legend reads the values there, with their unit.
    const over = chart.locator('.u-over')
    await over.scrollIntoViewIfNeeded()
    const box = await over.boundingBox()
    if (box === null) throw new Error('chart has no plot area')
    await over.hover({ position: { x: box.width / 2, y: box.height / 2 } })
    await expect
      .poll(async () => (await chart.locator('.u-legend .u-value').allTextContents()).join(' | '))
      .toMatch(/\d ms/)
    // The y axis starts at zero on every such chart.
    const spec = JSON.parse(
      (await chart.locator('[data-chart]').getAttribute('data-chart')) ?? '{}',
    ) as {
      yFromZero?: boolean
    }
    expect(spec.yFromZero).toBe(true)
    const full = await page.locator('.chart-stack .chart-card').count()
    expect(full).toBeGreaterThanOrEqual(3)
    const width = await chart.evaluate((element) => element.getBoundingClientRect().width)
    const column = await page
      .locator('main')
      .evaluate((element) => element.getBoundingClientRect().width)
    expect(width).toBeGreaterThan(column * 0.8)
    // Nothing is clipped at 1366 px: every table keeps to the page's column.
    expect(await clippedTables(page)).toEqual([])
    await page.screenshot({ path: join(OUTPUT, 'results-compare-charts.png'), fullPage: false })
    await chart.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(OUTPUT, 'results-p95-hover.png') })
    await page.close()
  })

  it('sets two runs’ charts side by side on the compare page, validity and protocol names kept', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } })
    await page.goto(`${server.url}/results/compare/`)
    const row = page.locator('[data-compare-metric="latency.p95"]')
    const shown = row.locator('[data-run]:not([hidden])')
    const runs = builtRuns(resultsDir).length
    await expect.poll(() => shown.count()).toBe(Math.min(2, runs))
    await expect
      .poll(() => shown.locator('[data-drawn="true"] canvas').count())
      .toBe(Math.min(2, runs))
    expect(await shown.first().locator('[data-side-label]').textContent()).toMatch(/^A: /)
    const header = await page.locator('table thead').textContent()
    expect(header).toContain('valid A / B')
    const names = await page
      .locator('[data-compare-rows] tr:has(td:nth-child(2)) td:first-child')
      .allTextContents()
    for (const name of names) expect(Object.values(PROTOCOL_LABELS)).toContain(name)
    expect(await clippedTables(page)).toEqual([])
    await row.scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(OUTPUT, 'results-compare-page.png') })
    await page.close()
  })

  it('charts a run’s variants against its default variant, and says how to make them when it has none', async () => {
    for (const { folder, report } of builtRuns(resultsDir)) {
      const page = await openPage(`/results/${folder}/`)
      const variantSteps = report.steps.filter(
        (step) => step.design === 'reference' && !isDefaultVariant(step),
      )
      if (variantSteps.length === 0) {
        await expect
          .poll(() => page.locator('[data-testid="no-variants"]').innerText())
          .toContain(VARIANT_BENCH_COMMAND)
        expect(await page.locator('[data-variant-comparison]').count()).toBe(0)
        await page.close()
        continue
      }
      // One comparison per protocol and dimension measured, each chart drawn by uPlot.
      const protocols = [...new Set(variantSteps.map((step) => step.protocol))]
      const topologyProtocols = protocols.filter((protocol) =>
        variantSteps.some(
          (step) =>
            step.protocol === protocol &&
            (step.topology ?? 'single') !== 'single' &&
            (step.encoding ?? 'json') === 'json',
        ),
      )
      for (const protocol of topologyProtocols) {
        const comparison = page.locator(`[data-variant-comparison="topology-${protocol}"]`)
        await expect.poll(() => comparison.locator('[data-drawn="true"] canvas').count()).toBe(2)
      }
      const encodingProtocols = protocols.filter((protocol) =>
        variantSteps.some(
          (step) =>
            step.protocol === protocol &&
            (step.encoding ?? 'json') !== 'json' &&
            (step.topology ?? 'single') === 'single',
        ),
      )
      for (const protocol of encodingProtocols) {
        const comparison = page.locator(`[data-variant-comparison="encoding-${protocol}"]`)
        await expect.poll(() => comparison.locator('[data-drawn="true"] canvas').count()).toBe(3)
      }
      // The table holds every reference step of those protocols; invalid ones are marked.
      const steps = report.steps.filter(
        (step) => step.design === 'reference' && protocols.includes(step.protocol),
      )
      const rows = page.locator('[data-testid="variant-table"] tbody tr')
      expect(await rows.count()).toBe(steps.length)
      const invalid = steps.filter((step) => !step.valid).length
      expect(
        await page.locator('[data-testid="variant-table"] tr[data-valid="false"]').count(),
      ).toBe(invalid)
      if (invalid > 0)
        expect(
          await page.locator('[data-testid="variants"] figcaption.invalid-step').count(),
        ).toBeGreaterThan(0)
      if (folder === VARIANT_RUN) {
        // The fixture: every variant of WebSocket and SSE, with one generator-limited step.
        expect(topologyProtocols).toEqual(['websocket', 'sse'])
        expect(encodingProtocols).toEqual(['websocket', 'sse'])
        expect(invalid).toBe(1)
        await page
          .locator('[data-testid="variants"]')
          .screenshot({ path: join(OUTPUT, 'results-variants.png') })
      }
      await page.close()
    }
  })

  it('shows on the live page what each protocol costs: rolling latency from production time, requests, bytes, and a stopped panel that says so', async () => {
    const page = await openPage('/live/')
    try {
      const text = (protocol: string, key: string): Promise<string> =>
        page.locator(`[data-panel="${protocol}"] [data-counter="${key}"]`).innerText()
      const value = async (protocol: string, key: string): Promise<number> =>
        Number.parseFloat(await text(protocol, key))
      // Ten seconds of traffic fill the window the figures cover.
      await page.waitForTimeout(10_500)
      // Short poll every 1 s: frames wait up to an interval, half of it at the median.
      const interval = SHORT_POLL_INTERVAL_MS
      const shortP50 = await value('short-poll', 'latencyP50Ms')
      expect(shortP50).toBeGreaterThan(0.8 * (interval / 2))
      expect(shortP50).toBeLessThan(1.2 * (interval / 2))
      expect(await value('short-poll', 'requestsPerSecond')).toBeLessThan(1.2)
      // Long poll: a request per reply, and a reply as soon as a frame is ready (10 Hz).
      const longRequests = await value('long-poll', 'requestsPerSecond')
      expect(longRequests).toBeGreaterThan(0.7 * 10)
      expect(longRequests).toBeLessThan(1.3 * 10)
      // A stream opens once: almost no requests, latency far below the poll's.
      expect(await value('websocket', 'requestsPerSecond')).toBeLessThan(0.5)
      expect(await value('websocket', 'latencyP50Ms')).toBeLessThan(shortP50 / 5)
      for (const protocol of PROTOCOLS) {
        expect(await text(protocol, 'bytesPerSecond')).toMatch(/^\d+(\.\d)? (B|KiB)$/)
        expect(await value(protocol, 'behindMs')).toBeLessThan(
          protocol === 'short-poll' ? 1500 : 500,
        )
      }
      // Polls pay headers on every reply: more bytes a second than the stream for the same frames.
      const perSecond = async (protocol: string): Promise<number> => {
        const [amount, unit] = (await text(protocol, 'bytesPerSecond')).split(' ')
        return Number(amount) * (unit === 'KiB' ? 1024 : 1)
      }
      expect(await perSecond('long-poll')).toBeGreaterThan(await perSecond('websocket'))
      await page.screenshot({ path: join(OUTPUT, 'live-10s.png'), fullPage: true })
      await page.locator('[data-panel="sse"] [data-action="stop"]').click()
      await expect.poll(() => text('sse', 'latencyP50Ms')).toBe('stopped')
      expect(await text('sse', 'requestsPerSecond')).toBe('stopped')
    } finally {
      await page.close()
    }
  }, 40_000)

  it('streams on all four live panels and resumes without a gap after kill connection', async () => {
    const page = await openPage('/live/')
    const counter = async (protocol: string, key: string): Promise<number> =>
      Number(await page.locator(`[data-panel="${protocol}"] [data-counter="${key}"]`).innerText())
    for (const protocol of PROTOCOLS) {
      await expect.poll(() => counter(protocol, 'frames'), { timeout: 15_000 }).toBeGreaterThan(3)
    }
    await page.screenshot({ path: join(OUTPUT, 'live.png'), fullPage: true })
    for (const protocol of PROTOCOLS) {
      const before = await counter(protocol, 'frames')
      await page.locator(`[data-panel="${protocol}"] [data-action="kill"]`).click()
      await expect.poll(() => counter(protocol, 'reconnects'), { timeout: 15_000 }).toBe(1)
      await expect
        .poll(() => counter(protocol, 'frames'), { timeout: 15_000 })
        .toBeGreaterThan(before + 5)
      expect(await counter(protocol, 'gaps')).toBe(0)
    }
    await page.screenshot({ path: join(OUTPUT, 'live-after-kill.png'), fullPage: true })
    await page.close()
  })

  it('pauses on Stop, catches up on Start, and falls back past a blocked WebSocket', async () => {
    const page = await openPage('/live/')
    const counter = async (protocol: string, key: string): Promise<number> =>
      Number(await page.locator(`[data-panel="${protocol}"] [data-counter="${key}"]`).innerText())
    for (const protocol of PROTOCOLS) {
      await expect.poll(() => counter(protocol, 'frames'), { timeout: 15_000 }).toBeGreaterThan(3)
      await page.locator(`[data-panel="${protocol}"] [data-action="stop"]`).click()
    }
    // In-flight frames may still land just after Stop; then the counts must hold still.
    await page.waitForTimeout(500)
    const paused = await Promise.all(PROTOCOLS.map((protocol) => counter(protocol, 'frames')))
    await page.waitForTimeout(1500)
    expect(await Promise.all(PROTOCOLS.map((protocol) => counter(protocol, 'frames')))).toEqual(
      paused,
    )
    for (const protocol of PROTOCOLS)
      await page.locator(`[data-panel="${protocol}"] [data-action="start"]`).click()
    for (const [index, protocol] of PROTOCOLS.entries()) {
      // The missed frames arrive from history: more than the pause's worth, and no gap.
      await expect
        .poll(() => counter(protocol, 'frames'), { timeout: 15_000 })
        .toBeGreaterThan((paused[index] ?? 0) + 15)
      expect(await counter(protocol, 'gaps')).toBe(0)
    }
    await page.locator('[data-action="fallback-run"]').click()
    await expect
      .poll(() => page.locator('[data-fallback-log] [data-outcome="failed"]').first().innerText(), {
        timeout: 15_000,
      })
      .toContain('websocket')
    await expect
      .poll(() => page.locator('[data-fallback-log] [data-outcome="chosen"]').first().innerText(), {
        timeout: 15_000,
      })
      .toContain('sse')
    await page.locator('[data-fallback]').screenshot({ path: join(OUTPUT, 'live-fallback.png') })
    await page.close()
  })

  it('switches the live page onto 3g and back through the network selector; the latency moves with the link', async () => {
    const port = await freePorts(3)
    const links = liveLinksOf(['4g', '3g'], '127.0.0.1', port)
    const linked = await startServer({ port, liveLinks: links })
    const relays = await startLiveLinks(links, { host: '127.0.0.1', port })
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    try {
      const latency = async (protocol: string): Promise<number> =>
        Number.parseFloat(
          await page
            .locator(`[data-panel="${protocol}"] [data-counter="latencyP50Ms"]`)
            .innerText(),
        )
      const frames = async (protocol: string): Promise<number> =>
        Number(await page.locator(`[data-panel="${protocol}"] [data-counter="frames"]`).innerText())
      const settle = async (): Promise<void> => {
        for (const protocol of PROTOCOLS)
          await expect.poll(() => frames(protocol), { timeout: 20_000 }).toBeGreaterThan(10)
      }
      await page.goto(`${linked.url}/live/`)
      const selector = page.locator('[data-networks]')
      await expect.poll(() => selector.getAttribute('data-current')).toBe('loopback')
      await settle()
      await expect.poll(() => latency('websocket'), { timeout: 10_000 }).toBeLessThan(50)
      // 3g: 300 ms round trip, so every frame is at least its 150 ms one-way delay late.
      await page.locator('[data-network]').selectOption({ label: '3g' })
      await expect.poll(() => page.url(), { timeout: 15_000 }).toBe(`${links[2]?.url ?? ''}/live/`)
      await expect.poll(() => selector.getAttribute('data-current'), { timeout: 15_000 }).toBe('3g')
      await settle()
      for (const protocol of ['websocket', 'sse', 'long-poll'])
        await expect.poll(() => latency(protocol), { timeout: 10_000 }).toBeGreaterThanOrEqual(150)
      expect(await page.locator('[data-network-label]').innerText()).toMatch(/^3G/)
      await page.screenshot({ path: join(OUTPUT, 'live-3g.png'), fullPage: true })
      await page.locator('[data-network]').selectOption({ label: 'loopback' })
      await expect.poll(() => page.url(), { timeout: 15_000 }).toBe(`${linked.url}/live/`)
      await settle()
      await expect.poll(() => latency('websocket'), { timeout: 10_000 }).toBeLessThan(50)
    } finally {
      await page.close()
      await relays.close()
      await linked.close()
    }
  })

  it('decodes a --encoding binary server on the live page: frames, kill and resume, stop and catch-up, no gap', async () => {
    const binary = await startServer({ port: 0, encoding: 'binary' })
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
    try {
      await page.goto(`${binary.url}/live/`)
      const panel = (protocol: string) => page.locator(`[data-panel="${protocol}"]`)
      const counter = async (protocol: string, key: string): Promise<number> =>
        Number(await panel(protocol).locator(`[data-counter="${key}"]`).innerText())
      for (const protocol of PROTOCOLS) {
        await expect.poll(() => counter(protocol, 'frames'), { timeout: 15_000 }).toBeGreaterThan(3)
      }
      // WebSocket and SSE carry binary frames (base64 on SSE); polls always answer JSON.
      const streamed = ['websocket', 'sse'] as const
      for (const protocol of streamed) {
        expect(await panel(protocol).locator('[data-encoding]').innerText()).toBe('binary')
        expect(await panel(protocol).locator('[data-counter="latencyP50Ms"]').innerText()).toMatch(
          /^\d+\.\d ms$/,
        )
      }
      for (const protocol of ['long-poll', 'short-poll'])
        expect(await panel(protocol).locator('[data-encoding]').innerText()).toBe('json')
      await page.screenshot({ path: join(OUTPUT, 'live-binary.png'), fullPage: true })
      for (const protocol of streamed) {
        const before = await counter(protocol, 'frames')
        await panel(protocol).locator('[data-action="kill"]').click()
        await expect.poll(() => counter(protocol, 'reconnects'), { timeout: 15_000 }).toBe(1)
        await expect
          .poll(() => counter(protocol, 'frames'), { timeout: 15_000 })
          .toBeGreaterThan(before + 5)
        expect(await counter(protocol, 'gaps')).toBe(0)
      }
      for (const protocol of streamed) await panel(protocol).locator('[data-action="stop"]').click()
      await page.waitForTimeout(500)
      const paused = await Promise.all(streamed.map((protocol) => counter(protocol, 'frames')))
      await page.waitForTimeout(1500)
      for (const protocol of streamed)
        await panel(protocol).locator('[data-action="start"]').click()
      for (const [index, protocol] of streamed.entries()) {
        // The missed frames are replayed from history, encoded binary too, and none is missing.
        await expect
          .poll(() => counter(protocol, 'frames'), { timeout: 15_000 })
          .toBeGreaterThan((paused[index] ?? 0) + 15)
        expect(await counter(protocol, 'gaps')).toBe(0)
        expect(await panel(protocol).locator('[data-encoding]').innerText()).toBe('binary')
      }
    } finally {
      await page.close()
      await binary.close()
    }
  })

  it('lists every question to study from: filter by words, topic and level, ticks kept in the browser', async () => {
    const page = await openPage('/questions/')
    const rows = page.locator('[data-question-list] li')
    const visible = page.locator('[data-question-list] li:not([hidden])')
    const total = await rows.count()
    expect(total).toBeGreaterThan(100)
    await expect
      .poll(() => page.locator('[data-question-count]').textContent())
      .toContain(`${String(total)} of ${String(total)} questions shown · 0 done`)
    await page.fill('input[name="search"]', 'backpressure')
    const found = await visible.count()
    expect(found).toBeGreaterThan(0)
    expect(found).toBeLessThan(total)
    for (const text of await visible
      .locator('[data-text]')
      .allInnerTexts()
      .catch(() => []))
      expect(text.toLowerCase()).toContain('backpressure')
    await page.selectOption('select[name="difficulty"]', 'senior')
    for (const level of await visible.evaluateAll((items) =>
      items.map((item) => (item as HTMLElement).dataset['difficulty']),
    ))
      expect(level).toBe('senior')
    await page.fill('input[name="search"]', '')
    await page.selectOption('select[name="difficulty"]', '')
    await page.selectOption('select[name="topic"]', 'sse')
    const sse = await visible.count()
    expect(
      await visible.evaluateAll((items) =>
        items.map((item) => (item as HTMLElement).dataset['topic']),
      ),
    ).toEqual(Array.from({ length: sse }, () => 'sse'))
    // Tick the first SSE question: it survives a reload, and "hide done" hides it.
    const first = visible.first()
    const id = await first.getAttribute('data-id')
    await first.locator('input[data-done]').check()
    await page.reload()
    const row = page.locator(`[data-question-list] li[data-id="${String(id)}"]`)
    await expect.poll(() => row.locator('input[data-done]').isChecked()).toBe(true)
    await expect.poll(() => page.locator('[data-question-count]').textContent()).toContain('1 done')
    await page.check('input[name="hideDone"]')
    expect(await row.isHidden()).toBe(true)
    await page.uncheck('input[name="hideDone"]')
    await page.fill('input[name="search"]', 'backpressure')
    await page.screenshot({ path: join(OUTPUT, 'question-list.png'), fullPage: false })
    await page.close()
  })

  it('passes axe-core’s WCAG 2.1 AA rules on every kind of page, in the light and the dark theme', async () => {
    const paths = [
      '/',
      '/questions/',
      '/questions/sse/websocket-vs-sse/',
      '/results/',
      '/live/',
      '/labs/first-stream/',
      '/seeds/',
    ]
    const found: string[] = []
    for (const theme of ['light', 'dark'] as const) {
      const context = await browser.newContext({
        viewport: { width: 1366, height: 900 },
        colorScheme: theme,
      })
      await context.addInitScript((chosen) => {
        localStorage.setItem('starlight-theme', chosen)
      }, theme)
      for (const path of paths) {
        const page = await context.newPage()
        await page.goto(`${server.url}${path}`)
        expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe(theme)
        // The live page fills its panels from the streams; the results page draws its charts.
        await page.waitForTimeout(path === '/live/' || path === '/results/' ? 2000 : 300)
        await page.addScriptTag({ path: join(ROOT, 'node_modules/axe-core/axe.min.js') })
        const violations = await page.evaluate(async () => {
          const axe = (window as unknown as { axe: typeof import('axe-core') }).axe
          const result = await axe.run(document, {
            runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
          })
          return result.violations.map(
            (violation) =>
              `${violation.id}: ${violation.nodes
                .slice(0, 3)
                .map((node) => `${node.target.join(' ')} (${node.failureSummary ?? ''})`)
                .join('; ')}`,
          )
        })
        found.push(...violations.map((violation) => `${theme} ${path} ${violation}`))
        await page.close()
      }
      await context.close()
    }
    expect(found).toEqual([])
  }, 120_000)

  it('renders the home, lab and topic pages', async () => {
    for (const [path, name] of [
      ['/', 'home'],
      ['/labs/resume-after-disconnect/', 'lab'],
      ['/questions/', 'questions'],
    ] as const) {
      const page = await openPage(path)
      // textContent, not innerText: the splash home page keeps its h1 visually hidden.
      await expect
        .poll(async () => (await page.locator('h1').first().textContent())?.trim() ?? '', {
          timeout: 10_000,
        })
        .not.toBe('')
      await page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage: true })
      await page.close()
    }
  })
})

describe('variant citations in a site build', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  const tempDir = (prefix: string): string => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    dirs.push(dir)
    return dir
  }
  /**
   * The question bank plus one question whose body is `body`, citing the frontmatter `metrics`
   * given. Questions that cite figures of the committed published run are left out: this build
   * cites the fixture run, which measured other steps, so they would fail it for their own reason.
   */
  const bankWith = (body: string, metrics: string): string => {
    const bank = tempDir('site-bank-')
    cpSync(join(ROOT, 'questions'), bank, {
      recursive: true,
      filter: (source) =>
        !source.endsWith('.mdx') || !/<Measured\b|\n\s+- id: /.test(readFileSync(source, 'utf8')),
    })
    // Links between answers may point at answers left out: aim them at their topic page instead.
    for (const file of readdirSync(bank, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.mdx')) continue
      const text = readFileSync(join(bank, file), 'utf8')
      writeFileSync(
        join(bank, file),
        text
          .replace(/^related: .*\n/m, '')
          .replace(/\]\(\/questions\/([a-z0-9-]+)\/[a-z0-9-]+\/\)/g, '](/questions/$1/)'),
      )
    }
    writeFileSync(
      join(bank, 'scaling', 'zz-variant-citation.mdx'),
      `---\ntitle: "What do a cluster and binary frames cost here?"\ntopic: scaling\ndifficulty: senior\nprotocols: [websocket, sse]\ntldr: "A question written by the test to cite figures of variants of the fixture run."\nlabs: []\nmetrics: ${metrics}\norder: 99\n---\n\n${body}${SOURCES_LINE}\n`,
    )
    return bank
  }
  /** `astro build` into a temporary folder, from `questions` and `results`. */
  const buildSite = (
    questions: string,
    results: string,
  ): { status: number | null; out: string; log: string } => {
    const out = tempDir('site-dist-')
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'build', '--root', 'site', '--outDir', out],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          ASTRO_TELEMETRY_DISABLED: '1',
          REALTIME_LAB_QUESTIONS_DIR: questions,
          REALTIME_LAB_RESULTS_DIR: results,
          // Its own content cache: the temporary bank is deleted after the test.
          REALTIME_LAB_CACHE_DIR: tempDir('site-cache-'),
        },
        encoding: 'utf8',
        timeout: 280_000,
      },
    )
    return { status: run.status, out, log: `${run.stdout}\n${run.stderr}` }
  }

  it('shows a variant’s figures from the run, and fails the build naming the question when the run lacks the variant', () => {
    const results = tempDir('site-results-')
    cpSync(VARIANT_FIXTURE, join(results, VARIANT_RUN), { recursive: true })
    const report = reportSchema.parse(
      JSON.parse(readFileSync(join(VARIANT_FIXTURE, 'report.json'), 'utf8')),
    )
    const good = buildSite(
      bankWith(
        '<Measured id="latency.p99" protocols={["websocket","sse"]} topology="cluster-2" /> <Measured id="bytesPerFrame" protocols={["websocket","sse"]} encoding="binary" connections={20} />',
        '[{ id: latency.p99, protocols: [websocket, sse], topology: cluster-2 }, { id: bytesPerFrame, protocols: [websocket, sse], encoding: binary, connections: 20 }]',
      ),
      results,
    )
    expect(good.status, good.log.slice(-2000)).toBe(0)
    const html = readFileSync(
      join(good.out, 'questions/scaling/zz-variant-citation/index.html'),
      'utf8',
    )
    const figures = [...html.matchAll(/<span class="measured" ([^>]*)>([\s\S]*?)<\/span>/g)]
    // Two in the body and the same two in the "Measured in this lab" box.
    expect(figures.length).toBe(4)
    for (const [, attributes = '', inner = ''] of figures) {
      const attr = (name: string): string =>
        new RegExp(`data-${name}="([^"]*)"`).exec(attributes)?.[1] ?? ''
      const id = attr('measured')
      if (!isMetricId(id)) throw new Error(`unknown metric ${id}`)
      const variant = { topology: attr('topology'), encoding: attr('encoding') }
      expect(isDefaultVariant(variant)).toBe(false)
      const text = inner.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ')
      expect(text).toContain(
        `(${variant.topology === 'single' ? `single/${variant.encoding}` : variant.topology})`,
      )
      for (const protocol of attr('protocols').split(',') as Protocol[]) {
        const step = report.steps.find(
          (candidate) =>
            candidate.protocol === protocol &&
            candidate.design === 'reference' &&
            candidate.connections === Number(attr('connections')) &&
            sameVariant(candidate, variant),
        )
        expect(step, `${protocol} ${JSON.stringify(variant)}`).toBeDefined()
        if (step === undefined) continue
        expect(text).toContain(
          `${PROTOCOL_LABELS[protocol]} ${formatFigure(METRICS[id].pick(step), METRICS[id].unit)}`,
        )
      }
    }
    const bad = buildSite(
      bankWith(
        '<Measured id="server.cpu" protocols={["websocket"]} topology="cluster-4" />',
        '[{ id: server.cpu, protocols: [websocket] }]',
      ),
      results,
    )
    expect(bad.status).not.toBe(0)
    expect(bad.log).toContain(
      `questions/scaling/zz-variant-citation.mdx: <Measured id="server.cpu" protocols={["websocket"]} topology="cluster-4" />: ${relative(ROOT, join(results, VARIANT_RUN, 'report.json'))} has no websocket step of that variant (reference design, cluster-4)`,
    )
  }, 600_000)
})

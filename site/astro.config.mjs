// @ts-check
import { existsSync } from 'node:fs'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'astro/config'
import starlight from '@astrojs/starlight'
import { typeDocSidebarGroup } from 'starlight-typedoc'
import { starlightTypeDocCompat } from './starlight-typedoc-compat.mjs'
import { apiEntryPoints } from './api-entry-points.mjs'

/**
 * starlight-typedoc's sidebar placeholder. The package ships TypeScript sources, which the
 * type-aware lint of this plain-JavaScript config cannot follow; Starlight validates the sidebar.
 */
const apiSidebarGroup = /** @type {unknown} */ (typeDocSidebarGroup)

const repoRoot = fileURLToPath(new URL('..', import.meta.url))

// The API reference documents only the entry points that exist when the site is built, so the
// site keeps building while the servers and the engine are still being written.
const entryPoints = apiEntryPoints(repoRoot).filter((path) => existsSync(path))

/** Topic folders under questions/, in the order the sidebar lists them. */
const topicLinks = [
  ['websocket-fundamentals', 'WebSocket fundamentals'],
  ['node-servers', 'Node servers'],
  ['sse', 'Server-Sent Events'],
  ['polling', 'Polling'],
  ['react', 'React clients'],
  ['reliability', 'Reliability'],
  ['scaling', 'Scaling'],
  ['security', 'Security'],
  ['realtime-apps', 'Real-time apps'],
  ['beyond', 'Beyond'],
].map(([slug, label]) => ({ label, link: `/questions/${slug}/` }))

export default defineConfig({
  site: 'http://127.0.0.1:8080',
  // A build from another question or results folder (REALTIME_LAB_QUESTIONS_DIR/_RESULTS_DIR)
  // can keep its content cache apart: a cached entry of a folder that is gone breaks later builds.
  ...(process.env.REALTIME_LAB_CACHE_DIR ? { cacheDir: process.env.REALTIME_LAB_CACHE_DIR } : {}),
  // Question pages and results pages are generated from ../questions and ../results.
  vite: {
    server: { fs: { allow: [repoRoot] } },
    // <Source> reads project files relative to the repository, wherever the bundle runs from.
    define: { __REALTIME_LAB_REPO_ROOT__: JSON.stringify(repoRoot) },
    // Astro needs cookie 2 (its own nested copy); express hoists cookie 0.7 to the root, which the
    // prerender bundle in site/dist would resolve instead. Bundling it picks Astro's copy.
    environments: { prerender: { resolve: { noExternal: ['cookie'] } } },
    build: {
      rolldownOptions: {
        // Astro marks every MDX page with "use astro:head-inject", and rolldown warns once per page
        // that it may drop the directive (withastro/astro#18087, harmless): 156 multi-line warnings
        // that read like a broken build. Only that warning is silenced; every other one still prints.
        onLog(level, log, handler) {
          if (
            level === 'warn' &&
            log.code === 'MODULE_LEVEL_DIRECTIVE' &&
            log.message.includes('astro:head-inject')
          )
            return
          handler(level, log)
        },
      },
    },
  },
  integrations: [
    starlight({
      title: 'realtime-lab',
      description:
        'WebSocket, SSE, long polling and short polling, measured side by side: interview questions answered with the lab’s own figures.',
      customCss: ['./src/styles/site.css'],
      // src/pages/404.astro replaces Starlight's 404, which warns on every build without a docs entry.
      disable404Route: true,
      // Long commands and code lines wrap instead of hiding behind a horizontal scroll.
      expressiveCode: { defaultProps: { wrap: true } },
      plugins:
        entryPoints.length > 0
          ? [
              starlightTypeDocCompat({
                entryPoints,
                tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
                output: 'api',
                sidebar: { label: 'API reference', collapsed: true },
                typeDoc: { skipErrorChecking: true, excludePrivate: true, disableSources: true },
                errorOnEmptyDocumentation: false,
              }),
            ]
          : [],
      sidebar: [
        { label: 'Start here', link: '/' },
        { label: 'Where the material comes from', link: '/seeds/' },
        { label: 'Seed coverage', link: '/seed-coverage/' },
        {
          label: 'Questions',
          items: [{ label: 'All topics', link: '/questions/' }, ...topicLinks],
        },
        {
          label: 'Results',
          items: [
            { label: 'Benchmark results', link: '/results/' },
            { label: 'Compare two runs', link: '/results/compare/' },
          ],
        },
        { label: 'Live demo', link: '/live/' },
        { label: 'Labs', items: [{ autogenerate: { directory: 'labs' } }] },
        ...(entryPoints.length > 0 ? [apiSidebarGroup] : []),
      ],
    }),
  ],
})

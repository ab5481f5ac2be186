/**
 * Loads a k6 script for the engine: esbuild strips types and bundles local imports into one
 * CommonJS body; `k6` and `k6/*` stay as `require` calls that each VU answers with its own
 * module instances. The body is wrapped in a factory so every VU gets its own module state
 * and its own `__VU`, `__ITER` and `__ENV`.
 */
import { build } from 'esbuild'

/** The k6 module ids the engine provides. */
export const K6_MODULES = Object.freeze([
  'k6',
  'k6/metrics',
  'k6/websockets',
  'k6/timers',
  'k6/http',
  'k6/execution',
  'k6/x/sse',
] as const)

/**
 * Bundles `scriptPath` and returns the source of a factory
 * `(require, __ENV, __VU) => { exports, setIter(i) }`.
 *
 * @throws Error with esbuild's messages when the script does not compile.
 */
export async function bundleScript(scriptPath: string): Promise<string> {
  const result = await build({
    entryPoints: [scriptPath],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'neutral',
    target: 'es2024',
    external: ['k6', 'k6/*'],
    logLevel: 'silent',
    sourcemap: false,
  })
  const body = result.outputFiles[0]?.text
  if (body === undefined) throw new Error(`esbuild produced no output for ${scriptPath}`)
  return `(function (require, __ENV, __VU) {
let __ITER = 0;
const module = { exports: {} };
const exports = module.exports;
${body}
return { exports: module.exports, setIter(i) { __ITER = i } };
})`
}

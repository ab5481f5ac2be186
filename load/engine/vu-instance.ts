/**
 * One VU's copy of the script: the bundled factory called with a `require` that answers
 * each k6 module id with this VU's own shim instance.
 */
import { runInThisContext } from 'node:vm'
import { K6_MODULES } from './bundle.ts'
import { createExecutionModule } from './modules/execution.ts'
import { createHttpModule } from './modules/http.ts'
import { createK6Module } from './modules/k6.ts'
import { createMetricsModule, initializingVu } from './modules/metrics.ts'
import { createSseModule } from './modules/sse.ts'
import { createTimersModule } from './modules/timers.ts'
import { createWebSocketsModule } from './modules/websockets.ts'
import type { VuContext } from './vu-context.ts'

/** The factory compiled from {@link bundleScript}'s source. */
export type ScriptFactory = (
  require: (id: string) => unknown,
  env: Record<string, string>,
  vuId: number,
) => { exports: Record<string, unknown>; setIter(iteration: number): void }

/** Compiles the bundled source once per thread. */
export function compileFactory(source: string, filename: string): ScriptFactory {
  return runInThisContext(source, { filename }) as ScriptFactory
}

const BUILDERS: Readonly<
  Record<(typeof K6_MODULES)[number], (vu: VuContext) => Record<string, unknown>>
> = {
  k6: createK6Module,
  'k6/metrics': createMetricsModule,
  'k6/websockets': createWebSocketsModule,
  'k6/timers': createTimersModule,
  'k6/http': createHttpModule,
  'k6/execution': createExecutionModule,
  'k6/x/sse': createSseModule,
}

/** The script's exports for one VU, and how to set its `__ITER`. */
export interface VuInstance {
  exports: Record<string, unknown>
  setIter(iteration: number): void
}

/**
 * Runs the init context for one VU.
 *
 * @throws Error naming an unsupported module id, or whatever the init code throws.
 */
export function instantiate(factory: ScriptFactory, vu: VuContext): VuInstance {
  const cache = new Map<string, unknown>()
  const requireModule = (id: string): unknown => {
    const known = cache.get(id)
    if (known !== undefined) return known
    if (!(id in BUILDERS)) {
      throw new Error(
        `module "${id}" is not provided by the built-in engine (it provides ${K6_MODULES.join(', ')}); run with --engine k6 for other modules`,
      )
    }
    const created = BUILDERS[id as (typeof K6_MODULES)[number]](vu)
    cache.set(id, created)
    return created
  }
  return initializingVu(vu, () => factory(requireModule, vu.env, vu.id))
}

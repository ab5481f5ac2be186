/** `k6/execution`: the running VU, its scenario and the test (`abort`). */
import type { VuContext } from '../vu-context.ts'

/** Builds the `k6/execution` module of one VU. */
export function createExecutionModule(vu: VuContext): Record<string, unknown> {
  const scenario = {
    get name() {
      return vu.scenario?.name ?? ''
    },
    get executor() {
      return vu.scenario?.executor ?? ''
    },
    get startTime() {
      return vu.scenarioStartTime
    },
    get progress() {
      const length = vu.scenario?.durationMs ?? 0
      return length > 0 ? Math.min(1, (Date.now() - vu.scenarioStartTime) / length) : 0
    },
    get iterationInInstance() {
      return vu.iterationInScenario
    },
    get iterationInTest() {
      return vu.iterationInScenario
    },
  }
  const vuInfo = {
    get idInInstance() {
      return vu.id
    },
    get idInTest() {
      return vu.id
    },
    get iterationInInstance() {
      return vu.iteration
    },
    get iterationInScenario() {
      return vu.iteration
    },
    tags: vu.baseTags,
    metrics: { tags: vu.baseTags, metadata: {} },
  }
  const test = {
    abort(reason?: string): void {
      vu.abortTest(reason ?? 'test aborted by the script')
    },
    fail(message?: string): void {
      vu.abortTest(message ?? 'test marked failed by the script')
    },
    options: {},
  }
  const instance = {
    iterationsInterrupted: 0,
    iterationsCompleted: 0,
    vusActive: 0,
    vusInitialized: 0,
  }
  const module = { scenario, vu: vuInfo, test, instance }
  return { ...module, default: module }
}

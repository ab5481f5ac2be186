/**
 * `k6/execution`: the running VU, its scenario and the test (`abort`). Getters live on
 * shared prototypes; each VU pays for three one-field objects.
 */
import type { VuContext } from '../vu-context.ts'

class ScenarioInfo {
  readonly #vu: VuContext
  constructor(vu: VuContext) {
    this.#vu = vu
  }
  get name(): string {
    return this.#vu.scenario?.name ?? ''
  }
  get executor(): string {
    return this.#vu.scenario?.executor ?? ''
  }
  get startTime(): number {
    return this.#vu.scenarioStartTime
  }
  get progress(): number {
    const length = this.#vu.scenario?.durationMs ?? 0
    return length > 0 ? Math.min(1, (Date.now() - this.#vu.scenarioStartTime) / length) : 0
  }
  get iterationInInstance(): number {
    return this.#vu.iterationInScenario
  }
  get iterationInTest(): number {
    return this.#vu.iterationInScenario
  }
}

class VuInfo {
  readonly #vu: VuContext
  constructor(vu: VuContext) {
    this.#vu = vu
  }
  get idInInstance(): number {
    return this.#vu.id
  }
  get idInTest(): number {
    return this.#vu.id
  }
  get iterationInInstance(): number {
    return this.#vu.iteration
  }
  get iterationInScenario(): number {
    return this.#vu.iteration
  }
  get tags(): Readonly<Record<string, string>> {
    return this.#vu.baseTags
  }
  get metrics(): { tags: Readonly<Record<string, string>>; metadata: Record<string, string> } {
    return { tags: this.#vu.baseTags, metadata: {} }
  }
}

class TestInfo {
  readonly options = {}
  readonly #vu: VuContext
  constructor(vu: VuContext) {
    this.#vu = vu
  }
  abort(reason?: string): void {
    this.#vu.abortTest(reason ?? 'test aborted by the script')
  }
  fail(message?: string): void {
    this.#vu.abortTest(message ?? 'test marked failed by the script')
  }
}

const instance = Object.freeze({
  iterationsInterrupted: 0,
  iterationsCompleted: 0,
  vusActive: 0,
  vusInitialized: 0,
})

/** Builds the `k6/execution` module of one VU. */
export function createExecutionModule(vu: VuContext): Record<string, unknown> {
  const module: Record<string, unknown> = {
    scenario: new ScenarioInfo(vu),
    vu: new VuInfo(vu),
    test: new TestInfo(vu),
    instance,
  }
  module['default'] = module
  return module
}

import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['servers/**/*.test.ts', 'load/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers and real clients; two cores do not gain from more.
    maxWorkers: 2,
  },
})

import { defineConfig } from 'vitest/config'

// Property tests run hundreds of sessions each: about a second alone, several while every package's suite runs
// at once on two cores.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000 },
})

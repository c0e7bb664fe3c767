import { defineConfig } from 'vitest/config'

// Property tests of real files and syncs: a few seconds each alone, 15 to 20 s while every package's suite runs
// at once on two cores, and more on a slower machine.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 60_000 },
})

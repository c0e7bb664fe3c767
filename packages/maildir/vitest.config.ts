import { defineConfig } from 'vitest/config'

// Property tests of real files and syncs: a few seconds each alone, 15 to 55 s while every package's suite runs
// at once on two cores.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 150_000, hookTimeout: 60_000 },
})

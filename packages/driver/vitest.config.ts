import { defineConfig } from 'vitest/config'

// Some tests run whole sessions through the driver: about a second alone, a few while every package's suite runs
// at once on two cores.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 30_000 },
})

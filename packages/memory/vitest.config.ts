import { defineConfig } from 'vitest/config'

// The simulation runs up to 2000 seeded conversations a test: about 6 s alone, 45 to 65 s while every package's
// suite runs at once on two cores.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], testTimeout: 150_000 },
})

import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/packAll.ts'],
    testTimeout: 300_000,
    hookTimeout: 120000,
  },
})

import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/packAll.ts'],
    testTimeout: 120000,
    hookTimeout: 120000,
  },
})

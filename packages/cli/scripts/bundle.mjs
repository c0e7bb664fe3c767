// Bundles the built command into dist/bin/ with esbuild: one process a message is a common way to run
// `smtpure send`, and loading one file per command costs far less than resolving the workspace's modules.
// Each command stays its own chunk (loaded when run), and the simulation's worker is an entry of its own.
// Bun's and Deno's adapters are loaded by name at run time on their runtimes, so they stay outside.
import { rm } from 'node:fs/promises'
import { build } from 'esbuild'

// chunk names carry a content hash: clear the last build's, or the package ships every old chunk
await rm('dist/bin', { recursive: true, force: true })

await build({
  entryPoints: ['dist/main.js', 'dist/simulateWorker.js'],
  outdir: 'dist/bin',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@smtpure/bun', '@smtpure/deno'],
  // CommonJS dependencies (prom-client) call require; ESM output needs one made for it
  banner: {
    js: "import { createRequire as __smtpureRequire } from 'node:module'; const require = __smtpureRequire(import.meta.url);",
  },
  logLevel: 'error',
})

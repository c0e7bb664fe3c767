// Builds dist/index.js, the JavaScript Deno runs when the package is installed from npm: Deno strips
// TypeScript only outside node_modules, so an installed package that exports .ts cannot be imported
// (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING). The source stays the types (`deno check` reads it)
// and what this package's own tests import. One file; the other packages stay imports.
import { build } from 'esbuild'

await build({
  entryPoints: ['src/index.ts'],
  outfile: 'dist/index.js',
  bundle: true,
  packages: 'external',
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  logLevel: 'error',
})

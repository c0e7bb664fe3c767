// Bundles the built command into dist/bin/ with esbuild: one process a message is a common way to run
// `smtpure send`, and loading one file per command costs far less than resolving the workspace's modules.
// Each command stays its own chunk (loaded when run), and the simulation's worker is an entry of its own.
// Bun's and Deno's adapters are loaded by name at run time on their runtimes, so they stay outside.
import { rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { build } from 'esbuild'

// chunk names carry a content hash: clear the last build's, or the package ships every old chunk
await rm('dist/bin', { recursive: true, force: true })

// The packages import fp-ts and io-ts by their CommonJS paths, which Node loads unbundled; bundled, the ES
// module builds of the same versions let unused code be left out.
const require = createRequire(import.meta.url)
const esModules = {
  name: 'fp-ts-io-ts-es6',
  setup(b) {
    b.onResolve({ filter: /^(fp-ts|io-ts)(\/lib\/.*)?$/ }, (args) => {
      const [, pkg, sub] = /^(fp-ts|io-ts)(?:\/lib\/(.*))?$/.exec(args.path)
      const file = sub === undefined ? 'index.js' : sub.endsWith('.js') ? sub : `${sub}.js`
      return { path: require.resolve(`${pkg}/es6/${file}`, { paths: [args.resolveDir] }) }
    })
  },
}

await build({
  plugins: [esModules],
  entryPoints: ['dist/cli.js', 'dist/simulateWorker.js'],
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
  // less text to read and compile at every start; names are kept, so stack traces still read
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'error',
})

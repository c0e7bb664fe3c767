// Bundles the built command into dist/bin/ with esbuild. One process a message is a common way to run
// `smtpure send`, and loading one file costs far less than resolving the workspace's modules:
// - cli.js: every command, each its own chunk (loaded when run); the simulation's worker is an entry of its own.
// - send.cjs: `smtpure send` alone (sendMain.ts), one file with no chunks to resolve, and its V8 code cache
//   (send.cjs.cache), made by a training run of the bundle, so that start-up compiles almost nothing.
// - tsbuildinfo: what the bundles were made from, for main.cts to tell a stale bundle (see there).
// Bun's and Deno's adapters are loaded by name at run time on their runtimes, so they stay outside.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { build } from 'esbuild'
import { fpTsEsModules, thirdPartyNotices, workspaceModules } from '../../../scripts/esbuild-shared.mjs'

// chunk names carry a content hash: clear the last build's, or the package ships every old chunk
await rm('dist/bin', { recursive: true, force: true })

// node:tls and node:crypto for the `send` script, each loaded when first used: a message sent in clear (no
// --tls, no --starttls) needs neither (crypto makes the log's session ids), and loading them costs more than
// node:net. Only the names below are used there. No socket can be a TLSSocket before node:tls is loaded, so
// `instanceof` loads nothing.
const lazyModules = {
  'node:tls': `
    let tls
    const load = () => (tls ??= require('node:tls'))
    export const connect = (...args) => load().connect(...args)
    export class TLSSocket {
      static [Symbol.hasInstance](value) { return tls !== undefined && value instanceof tls.TLSSocket }
      constructor(...args) { return new (load().TLSSocket)(...args) }
    }`,
  'node:crypto': `
    let crypto
    export const randomBytes = (...args) => (crypto ??= require('node:crypto')).randomBytes(...args)`,
}
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(tls|crypto)$/ }, (args) =>
      args.namespace === 'lazy' ? { path: args.path, external: true } : { path: args.path, namespace: 'lazy' },
    )
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => ({ loader: 'js', contents: lazyModules[args.path] }))
  },
}

const common = {
  plugins: [workspaceModules, fpTsEsModules],
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['@smtpure/bun', '@smtpure/deno'],
  // less text to read and compile at every start; names are kept, so stack traces still read
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'error',
}

const commands = await build({
  ...common,
  entryPoints: ['dist/cli.js', 'dist/simulateWorker.js'],
  outdir: 'dist/bin',
  splitting: true,
  format: 'esm',
  // CommonJS dependencies (prom-client) call require; ESM output needs one made for it
  banner: {
    js: "import { createRequire as __smtpureRequire } from 'node:module'; const require = __smtpureRequire(import.meta.url);",
  },
  metafile: true,
})

// `smtpure send`: a script whose one expression is a function of a CommonJS module's arguments, which main.cts
// compiles with node:vm and its code cache, then calls with a `require` of Node's own modules only (all the
// script may require, checked here). In strict mode, as the ES modules it is made of.
const send = await build({
  ...common,
  plugins: [workspaceModules, fpTsEsModules, lazyBuiltins],
  entryPoints: ['dist/sendMain.js'],
  outfile: 'dist/bin/send.cjs',
  format: 'cjs',
  banner: {
    js: [
      "(function (exports, require, module, __filename, __dirname) {'use strict';",
      // import.meta.url of the modules (log.ts finds the package.json above it), made only when read
      "const __script = { get url() { return require('node:url').pathToFileURL(__filename).href } };",
    ].join(''),
  },
  footer: { js: '})' },
  define: { 'import.meta.url': '__script.url' },
  metafile: true,
})
// a name the lazy modules above lack would be undefined at run time: esbuild warns of it (also for modules the
// script leaves out, such as the server's, which do not count), and the build stops
const [script] = Object.values(send.metafile.outputs)
const kept = (file) => (script.inputs[file]?.bytesInOutput ?? 0) > 0
const problems = [
  ...send.warnings.filter((w) => w.location === null || kept(w.location.file)).map((w) => w.text),
  ...script.imports.filter((i) => i.external && !i.path.startsWith('node:')).map((i) => `requires ${i.path}`),
]
if (problems.length > 0) throw new Error(`dist/bin/send.cjs: ${problems.join('; ')}`)

// The training run: the bundle sends one message to a small SMTP responder in a process of its own, then
// writes the code V8 compiled for it. A cache another Node or V8 flags made is rejected, and the script is
// then compiled from its text; without a cache (no loopback here) it is compiled from its text too.
const { NODE_OPTIONS: _, ...env } = process.env
const training = spawnSync(process.execPath, ['scripts/codeCache.mjs', 'dist/bin/send.cjs'], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
  timeout: 60000,
})
if (training.status !== 0)
  process.stderr.write(
    `bundle: no code cache for dist/bin/send.cjs (training run: ${training.status ?? training.error})\n`,
  )

// the licenses of the third-party code the bundles took in (fp-ts, io-ts, prom-client and its own) ask for
// their notices to go with it
writeFileSync(
  'dist/bin/THIRD-PARTY-NOTICES.txt',
  `The bundles in dist/bin/ include code of these packages:\n\n${thirdPartyNotices([commands.metafile, send.metafile])}`,
)

// main.cts runs the bundles only when they were made from the compiled modules here now: the compiler rewrites
// its build info whenever it compiles anything of this package (file times do not tell, as a build cache
// restores files in any order), and a copy of it says what the bundles were made from
writeFileSync('dist/bin/tsbuildinfo', existsSync('tsconfig.tsbuildinfo') ? readFileSync('tsconfig.tsbuildinfo') : '')

// Bundles a library package's compiled modules (dist/index.js and what it imports) into dist/bundle.js, the
// file its package.json `exports` name. Run from the package's folder, after `tsc -b`.
//
// Why: Node's ES module loader spends about 0.7 ms on each module it resolves, reads and links, and parses
// each CommonJS file that an ES module imports (fp-ts, io-ts) to find its exports. `import '@smtpure/node'`
// took 75-115 ms over 103 files; as one file per package it takes about 20 ms, which a program that starts
// often (a command, a test run, a client per message) feels.
//
// What stays an import: the other @smtpure packages (one copy of each: a class such as SmtpError must be the
// same class wherever it is checked with instanceof), Node's own modules and every other dependency. fp-ts
// and io-ts (their ES module builds) are taken in; their values are plain objects and functions, and their
// notices go into dist/THIRD-PARTY-NOTICES.txt. The types stay the compiler's dist/*.d.ts.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { build } from 'esbuild'
import { fpTsEsModules, thirdPartyNotices } from './esbuild-shared.mjs'

const manifest = JSON.parse(readFileSync('package.json', 'utf8'))
const inlined = new Set(['fp-ts', 'io-ts'])
const external = Object.keys({
  ...manifest.dependencies,
  ...manifest.peerDependencies,
  ...manifest.optionalDependencies,
}).filter((name) => !inlined.has(name))

const result = await build({
  entryPoints: ['dist/index.js'],
  outfile: 'dist/bundle.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [fpTsEsModules],
  external,
  // esbuild reads the compiler's source maps, so stack traces map back to src/*.ts
  sourcemap: true,
  sourcesContent: false, // the package ships src/
  metafile: true,
  logLevel: 'error',
})

/** Stop the build, leaving no bundle behind that a later `tsc -b` alone would go on using. */
const refuse = (why) => {
  for (const f of ['dist/bundle.js', 'dist/bundle.js.map']) rmSync(f, { force: true })
  throw new Error(why)
}

// a relative import left in the bundle would load the unbundled modules beside it (a second copy of each)
const [output] = Object.values(result.metafile.outputs).filter((o) => o.entryPoint !== undefined)
const strays = output.imports.filter((i) => !i.external || i.path.startsWith('.'))
if (strays.length > 0) refuse(`dist/bundle.js imports ${strays.map((i) => i.path).join(', ')}`)
// and a module taken in from outside the package (another @smtpure package its manifest does not list as a
// dependency) would be a second copy of that package, with classes of its own
const outside = Object.keys(output.inputs).filter(
  (f) => !f.startsWith('dist/') && !/(^|\/)node_modules\/(fp-ts|io-ts)\//.test(f),
)
if (outside.length > 0)
  refuse(
    `dist/bundle.js would take in ${outside.join(', ')}: list the package it belongs to in the dependencies of ${manifest.name}`,
  )

const notices = thirdPartyNotices([result.metafile])
if (notices === '') rmSync('dist/THIRD-PARTY-NOTICES.txt', { force: true })
else
  writeFileSync(
    'dist/THIRD-PARTY-NOTICES.txt',
    `dist/bundle.js of ${manifest.name} includes code of these packages:\n\n${notices}`,
  )

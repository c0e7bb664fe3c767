#!/usr/bin/env node
// Starts the `smtpure` command (cli.ts). On Node it runs the esbuild bundles when the build made them
// (dist/bin/, see scripts/bundle.mjs): `smtpure send` its own script, compiled with the V8 code cache the
// build made for it, every other command the bundle of them all. One file costs far less to load than the
// separate modules, which matters to `send` run once per message. Bun and Deno load their own adapters by
// name and run the separate modules.

const onNode = !('Bun' in globalThis) && !('Deno' in globalThis)

/**
 * Node's own modules, by name. `process.getBuiltinModule` (Node 20.16) costs least: importing node:fs here
 * would load parts of it no command uses, and a `require` made by node:module costs more than the rest of
 * this file.
 */
const builtin = async (): Promise<(id: string) => unknown> =>
  typeof process.getBuiltinModule === 'function'
    ? (id) => process.getBuiltinModule(id)
    : (await import('node:module')).createRequire(import.meta.url)

/** The file's bytes, or undefined when it cannot be read. */
const reader =
  (fs: typeof import('node:fs')) =>
  (url: URL): Buffer | undefined => {
    try {
      return fs.readFileSync(url)
    } catch {
      return undefined
    }
  }

/**
 * Whether dist/bin/ holds bundles made from the compiled modules here now (a bundle older than them, after a
 * `tsc -b` alone, is stale). The build keeps a copy of the compiler's build info, which the compiler rewrites
 * whenever it compiles anything of this package; file times cannot tell, as a build cache restores files in
 * any order. An installed package has no build info: its bundles are used.
 */
const fresh = (read: (url: URL) => Buffer | undefined): boolean => {
  const made = read(new URL('./bin/tsbuildinfo', import.meta.url))
  if (made === undefined) return false
  const info = read(new URL('../tsconfig.tsbuildinfo', import.meta.url))
  return info === undefined || info.equals(made)
}

/**
 * Run dist/bin/send.cjs (`text`): one function expression, compiled with the code cache made for it when there
 * is one (V8 rejects a cache another version made, and compiles the text), then called as a CommonJS module
 * whose `require` gives Node's own modules, all it requires.
 */
const runScript = (require: (id: string) => unknown, url: URL, text: string, cache: Buffer | undefined): void => {
  const { Script } = require('node:vm') as typeof import('node:vm')
  const { fileURLToPath } = require('node:url') as typeof import('node:url')
  const file = fileURLToPath(url)
  const script = new Script(text, { filename: file, ...(cache !== undefined ? { cachedData: cache } : {}) })
  const module = { exports: {} }
  ;(script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    require,
    module,
    file,
    fileURLToPath(new URL('.', url)),
  )
}

if (onNode) {
  const require = await builtin()
  const read = reader(require('node:fs') as typeof import('node:fs'))
  const bundled = fresh(read)
  const sendScript = new URL('./bin/send.cjs', import.meta.url)
  const text = bundled && process.argv[2] === 'send' ? read(sendScript)?.toString() : undefined
  if (text !== undefined) runScript(require, sendScript, text, read(new URL(`${sendScript.href}.cache`)))
  // a specifier in a variable: the bundle is made after compiling, so there is nothing to type-check
  else if (bundled) await import(new URL('./bin/cli.js', import.meta.url).href)
  else await import('./cli.js')
} else await import('./cli.js')

#!/usr/bin/env node
// Starts the `smtpure` command (cli.ts). On Node it runs the esbuild bundles when the build made them
// (dist/bin/, see scripts/bundle.mjs): `smtpure send` its own script, compiled with the V8 code cache the
// build made for it, every other command the bundle of them all. One file costs far less to load than the
// separate modules, which matters to `send` run once per message. Bun and Deno load their own adapters by
// name and run the separate modules.
//
// This file is CommonJS: an ES module as the entry point makes Node set up its module loader first, about
// 4 ms of a `smtpure send` that takes 64 (Node 20), and `send` runs as CommonJS all the same.

const onNode = !('Bun' in globalThis) && !('Deno' in globalThis)

/** The file's bytes, or undefined when it cannot be read. */
const reader =
  (fs: typeof import('node:fs')) =>
  (path: string): Buffer | undefined => {
    try {
      return fs.readFileSync(path)
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
const fresh = (read: (path: string) => Buffer | undefined, join: (...parts: string[]) => string): boolean => {
  const made = read(join(__dirname, 'bin', 'tsbuildinfo'))
  if (made === undefined) return false
  const info = read(join(__dirname, '..', 'tsconfig.tsbuildinfo'))
  return info === undefined || info.equals(made)
}

/**
 * Run dist/bin/send.cjs (`text`): one function expression, compiled with the code cache made for it when there
 * is one (V8 rejects a cache another version made, and compiles the text), then called as a CommonJS module
 * whose `require` gives Node's own modules, all it requires.
 */
const runScript = (file: string, text: string, cache: Buffer | undefined, dirname: string): void => {
  const { Script } = require('node:vm') as typeof import('node:vm')
  const script = new Script(text, { filename: file, ...(cache !== undefined ? { cachedData: cache } : {}) })
  const module = { exports: {} }
  ;(script.runInThisContext() as (...args: unknown[]) => void)(module.exports, require, module, file, dirname)
}

if (onNode) {
  const { join } = require('node:path') as typeof import('node:path')
  const read = reader(require('node:fs') as typeof import('node:fs'))
  const bundled = fresh(read, join)
  const sendScript = join(__dirname, 'bin', 'send.cjs')
  const text = bundled && process.argv[2] === 'send' ? read(sendScript)?.toString() : undefined
  if (text !== undefined) runScript(sendScript, text, read(`${sendScript}.cache`), join(__dirname, 'bin'))
  // a specifier in a variable: the bundle is made after compiling, so there is nothing to type-check
  else if (bundled) void import(require('node:url').pathToFileURL(join(__dirname, 'bin', 'cli.js')).href)
  else void import('./cli.js')
} else void import('./cli.js')

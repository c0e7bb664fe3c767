#!/usr/bin/env node
// Starts the `smtpure` command (cli.ts). On Node it runs the esbuild bundle of the command when the build
// made one (dist/bin/, see scripts/bundle.mjs): one file a command loads in about half the time of the
// separate modules, which matters to `smtpure send` run once per message. Bun and Deno load their own
// adapters by name and run the separate modules.
import { statSync } from 'node:fs'

const bundled = new URL('./bin/cli.js', import.meta.url)
const onNode = !('Bun' in globalThis) && !('Deno' in globalThis)
/** The bundle, when the last build made it: one older than the compiled modules (`tsc -b` alone) is stale. */
const fresh = (): boolean => {
  const bundle = statSync(bundled, { throwIfNoEntry: false })
  const modules = statSync(new URL('./cli.js', import.meta.url), { throwIfNoEntry: false })
  return bundle !== undefined && (modules === undefined || bundle.mtimeMs >= modules.mtimeMs)
}
// a specifier in a variable: the bundle is made after compiling, so there is nothing to type-check
const entry = onNode && fresh() ? bundled.href : './cli.js'
await import(entry)

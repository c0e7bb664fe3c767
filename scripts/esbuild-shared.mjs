// What the workspace's esbuild bundles share: fp-ts and io-ts by their ES module builds, and the notices of
// the third-party code a bundle takes in.
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, sep } from 'node:path'

const require = createRequire(import.meta.url)

/**
 * The packages import fp-ts and io-ts by their CommonJS paths (`fp-ts/lib/Either.js`, `io-ts`), which Node
 * loads unbundled; in a bundle, the ES module builds of the same versions let unused code be left out.
 */
export const fpTsEsModules = {
  name: 'fp-ts-io-ts-es6',
  setup(b) {
    b.onResolve({ filter: /^(fp-ts|io-ts)(\/lib\/.*)?$/ }, (args) => {
      const [, pkg, sub] = /^(fp-ts|io-ts)(?:\/lib\/(.*))?$/.exec(args.path)
      const file = sub === undefined ? 'index.js' : sub.endsWith('.js') ? sub : `${sub}.js`
      return { path: require.resolve(`${pkg}/es6/${file}`, { paths: [args.resolveDir] }) }
    })
  },
}

/** The package folder under node_modules an input file of a bundle comes from, or undefined for our own. */
const packageFolderOf = (file) => {
  const parts = file.split(/[\\/]/)
  const at = parts.lastIndexOf('node_modules')
  if (at === -1) return undefined
  const width = parts[at + 1].startsWith('@') ? 2 : 1 // @scope/name or name
  return parts.slice(0, at + 1 + width).join(sep)
}

/**
 * The notices of every third-party package whose code the outputs of these esbuild metafiles take in: each
 * package's name, version and license file, as their licenses (MIT, Apache-2.0) ask of copies. Empty when
 * there is none. Input paths are taken relative to `root`, the folder esbuild ran in.
 */
export const thirdPartyNotices = (metafiles, root = process.cwd()) => {
  const folders = new Set()
  for (const output of metafiles.flatMap((m) => Object.values(m.outputs)))
    for (const [file, use] of Object.entries(output.inputs))
      if (use.bytesInOutput > 0) {
        const folder = packageFolderOf(join(root, file))
        if (folder !== undefined) folders.add(folder)
      }
  return [...folders]
    .sort()
    .map((folder) => {
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'))
      const license = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license']
        .map((name) => join(folder, name))
        .find((path) => existsSync(path))
      if (license === undefined) throw new Error(`${manifest.name}: no license file to copy into the notices`)
      return `${manifest.name} ${manifest.version} (${manifest.license})\n\n${readFileSync(license, 'utf8').trim()}\n`
    })
    .join(`\n${'-'.repeat(72)}\n\n`)
}

/**
 * For a bundle of bundles' users (the command): the @smtpure packages by their compiled modules, not by the
 * dist/bundle.js their `exports` name, so that code they do not use is left out and the third-party code in
 * them is seen (and noticed) as such.
 */
export const workspaceModules = {
  name: 'smtpure-modules',
  setup(b) {
    b.onResolve({ filter: /^@smtpure\/[a-z]+$/ }, (args) => {
      const entry = require.resolve(args.path, { paths: [args.resolveDir] })
      return entry.endsWith(`${sep}bundle.js`) ? { path: join(entry, '..', 'index.js') } : undefined
    })
  },
}

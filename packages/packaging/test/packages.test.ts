// Every published package as npm users get it: publint and arethetypeswrong on its tarball, the
// license and readme inside it, the metadata a registry page shows, and caret ranges for runtime
// dependencies (exact pins are for tools only).
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, inject, it } from 'vitest'
import { published, workspaceRoot } from './packAll.js'

const bin = (name: string): string => join(workspaceRoot, 'node_modules', '.bin', name)
const tarball = (pkg: string): string => join(inject('packDir'), `smtpure-${pkg}-0.1.0.tgz`)
const manifest = (pkg: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(workspaceRoot, 'packages', pkg, 'package.json'), 'utf8')) as Record<string, unknown>
const filesIn = (pkg: string): string[] =>
  execFileSync('tar', ['-tzf', tarball(pkg)], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '')

// Bun's adapter ships its TypeScript source (Bun loads .ts from node_modules); Deno's ships JavaScript
// built from it (Deno strips types only outside node_modules, see deno-app.test.ts) with the source as
// its types. Neither has declaration files; attw still resolves their `exports` to a typed file under
// the node16 and bundler rules, which is what it checks for them. The command has no library entry
// point (only `bin`), so there is nothing for attw to resolve.
const typed = published.filter((p) => p !== 'cli')

describe.each(published)('@smtpure/%s', (pkg) => {
  it('passes publint (strict: warnings fail too)', () => {
    const run = spawnSync(bin('publint'), ['run', tarball(pkg), '--strict'], { encoding: 'utf8' })
    expect(run.stdout + run.stderr).toContain('All good!')
    expect(run.status).toBe(0)
  })

  it('ships LICENSE, README.md and every file its exports, main and bin name', () => {
    const files = new Set(filesIn(pkg).map((f) => f.replace(/^package\//, '')))
    expect(files).toContain('LICENSE')
    expect(files).toContain('README.md')
    expect(readFileSync(join(workspaceRoot, 'packages', pkg, 'LICENSE'), 'utf8')).toBe(
      readFileSync(join(workspaceRoot, 'LICENSE'), 'utf8'),
    )
    const m = manifest(pkg)
    const targets = [
      ...JSON.stringify(m.exports ?? {}).matchAll(/"\.\/([^"]+)"/g),
      ...JSON.stringify({ main: m.main, types: m.types, bin: m.bin }).matchAll(/"\.\/([^"]+)"/g),
    ].map((x) => x[1])
    for (const t of targets) expect(files, `${t} named in package.json`).toContain(t)
  })

  it('has the metadata a registry page shows, a build on prepack, and caret runtime ranges', () => {
    const m = manifest(pkg)
    for (const field of ['description', 'keywords', 'repository', 'homepage', 'bugs', 'engines', 'files', 'license'])
      expect(m[field], field).toBeTruthy()
    expect(m.license).toBe('MIT')
    expect(m.private).toBeUndefined()
    const scripts = m.scripts as Record<string, string>
    if (scripts.build !== undefined) expect(scripts.prepack).toBe('npm run build')
    for (const [name, range] of Object.entries((m.dependencies ?? {}) as Record<string, string>))
      expect(range, name).toMatch(/^\^\d/)
  })
})

// The library packages' entry point is one bundle of their compiled modules (scripts/bundle-library.mjs):
// Node then loads one file per package, not dozens. It must import no module of its own package (that would
// load a second copy), take in fp-ts and io-ts with their notices, and export what the modules export.
const bundled = ['core', 'driver', 'node', 'maildir', 'memory']
const importsOf = (text: string): string[] =>
  [...text.matchAll(/(?:^|[;\n])\s*(?:import|export)\s*(?:[^'";]*?\sfrom\s*)?["']([^"']+)["']/g)].map((x) => x[1]!)

describe.each(bundled)('@smtpure/%s entry point', (pkg) => {
  const dir = join(workspaceRoot, 'packages', pkg)

  it('is dist/bundle.js, importing only Node, other packages and dependencies, with their notices', () => {
    const m = manifest(pkg)
    expect(m.main).toBe('./dist/bundle.js')
    expect((m.exports as Record<string, Record<string, string>>)['.']!.default).toBe('./dist/bundle.js')
    const text = readFileSync(join(dir, 'dist', 'bundle.js'), 'utf8')
    const dependencies = Object.keys((m.dependencies ?? {}) as Record<string, string>)
    const imports = importsOf(text)
    // the pattern finds what a bundle imports: core imports nothing, the others at least another package
    expect(imports.length > 0).toBe(pkg !== 'core')
    for (const specifier of imports) {
      expect(specifier, 'a relative import would load the unbundled modules too').not.toMatch(/^\./)
      expect(specifier, 'fp-ts and io-ts are taken in').not.toMatch(/^(fp-ts|io-ts)(\/|$)/)
      if (!specifier.startsWith('node:'))
        expect(dependencies, specifier).toContain(specifier.replace(/^((?:@[^/]+\/)?[^/]+).*$/, '$1'))
    }
    const inlined = dependencies.filter((d) => d === 'fp-ts' || d === 'io-ts')
    const notices = join(dir, 'dist', 'THIRD-PARTY-NOTICES.txt')
    if (inlined.length === 0) expect(existsSync(notices)).toBe(false)
    else
      for (const d of inlined)
        expect(readFileSync(notices, 'utf8')).toMatch(
          new RegExp(`^${d} \\d+\\.\\d+\\.\\d+ \\(MIT\\)\\n\\nMIT License`, 'm'),
        )
  })

  it('ships the bundle, its map, the declarations and the sources, not the modules the bundle was made of', () => {
    const dist = filesIn(pkg)
      .map((f) => f.replace(/^package\//, ''))
      .filter((f) => f.startsWith('dist/'))
    expect(dist).toContain('dist/bundle.js')
    expect(dist).toContain('dist/bundle.js.map')
    expect(dist).toContain('dist/index.d.ts')
    const other = dist.filter((f) => !/\.d\.ts(\.map)?$/.test(f))
    expect(other.sort()).toEqual(
      [
        'dist/bundle.js',
        'dist/bundle.js.map',
        ...(existsSync(join(dir, 'dist', 'THIRD-PARTY-NOTICES.txt')) ? ['dist/THIRD-PARTY-NOTICES.txt'] : []),
      ].sort(),
    )
  })

  it('exports the same names as its compiled modules', async () => {
    const url = (file: string): string => pathToFileURL(join(dir, 'dist', file)).href
    const bundle = (await import(url('bundle.js'))) as Record<string, unknown>
    const modules = (await import(url('index.js'))) as Record<string, unknown>
    expect(Object.keys(bundle).sort()).toEqual(Object.keys(modules).sort())
  })
})

// The repository is named once, in the workspace's package.json; every package points into it.
const root = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as {
  repository: { type: string; url: string }
  homepage: string
  bugs: { url: string }
}
const repositoryWeb = root.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')

describe.each(published)('@smtpure/%s repository metadata', (pkg) => {
  it("points at the workspace's repository, its own folder, readme and issue tracker", () => {
    const m = manifest(pkg)
    expect(m.name).toBe(`@smtpure/${pkg}`)
    expect(m.repository).toEqual({ type: 'git', url: root.repository.url, directory: `packages/${pkg}` })
    expect(m.homepage).toBe(`${repositoryWeb}/tree/main/packages/${pkg}#readme`)
    expect(m.bugs).toEqual(root.bugs)
  })
})

it('names the repository once, at the root, as a git URL of a web page', () => {
  expect(root.repository.type).toBe('git')
  expect(root.repository.url).toMatch(/^git\+https:\/\/github\.com\/[\w.-]+\/[\w.-]+\.git$/)
  expect(root.homepage).toBe(`${repositoryWeb}#readme`)
  expect(root.bugs).toEqual({ url: `${repositoryWeb}/issues` })
})

describe.each(typed)('@smtpure/%s types', (pkg) => {
  it('passes arethetypeswrong for ESM consumers (node16 and bundler resolution)', () => {
    const run = spawnSync(bin('attw'), [tarball(pkg), '--profile', 'esm-only', '--format', 'json'], {
      encoding: 'utf8',
    })
    const report = JSON.parse(run.stdout) as { analysis: { problems: Array<{ resolutionKind?: string }> } }
    // the esm-only profile leaves out node10 and require(): these packages are ES modules only
    const problems = report.analysis.problems.filter(
      (p) => p.resolutionKind !== 'node10' && p.resolutionKind !== 'node16-cjs',
    )
    expect(problems).toEqual([])
    expect(run.status).toBe(0)
  })
})

it('marks every package that is not published private', () => {
  const others = readdirSync(join(workspaceRoot, 'packages')).filter(
    (p) => !(published as readonly string[]).includes(p),
  )
  expect(others).toEqual(expect.arrayContaining(['conformance', 'interop', 'packaging']))
  for (const p of others) expect(manifest(p).private, p).toBe(true)
})

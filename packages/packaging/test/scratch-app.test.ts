// The packages as a new user meets them: the tarballs `npm pack` makes are installed into an app
// outside the workspace (from the npm cache where it can; the registry only for what the cache lacks), a strict TypeScript program using the
// documented API compiles against them and runs against a real server on a real socket, and a
// program that misspells an option does not compile.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { workspaceRoot } from './packAll.js'

const tsc = join(workspaceRoot, 'node_modules', 'typescript', 'bin', 'tsc')
const app = mkdtempSync(join(tmpdir(), 'smtpure-app-'))
const tarballs = ['core', 'driver', 'node'].map((p) => `smtpure-${p}-0.1.0.tgz`)

const tsconfig = (file: string) => ({
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: false,
    // Node's types from the workspace: only the tarballs are installed
    typeRoots: [join(workspaceRoot, 'node_modules', '@types')],
    types: ['node'],
    outDir: 'out',
  },
  files: [file],
})

const compile = (file: string) => {
  writeFileSync(join(app, `tsconfig.${file}.json`), JSON.stringify(tsconfig(file)))
  copyFileSync(join(import.meta.dirname, '..', 'fixtures', file), join(app, file))
  return spawnSync(process.execPath, [tsc, '-p', `tsconfig.${file}.json`], { cwd: app, encoding: 'utf8' })
}

beforeAll(() => {
  for (const t of tarballs) copyFileSync(join(inject('packDir'), t), join(app, t))
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }))
  execFileSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs.map((t) => `./${t}`)],
    { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] },
  )
})

afterAll(() => rmSync(app, { recursive: true, force: true }))

it('compiles a strict program against the installed packages and runs it against a server', () => {
  const build = compile('app.ts')
  expect(build.stdout + build.stderr).toBe('')
  expect(build.status).toBe(0)
  const run = execFileSync(process.execPath, ['out/app.js'], { cwd: app, encoding: 'utf8', timeout: 120_000 })
  expect(JSON.parse(run)).toEqual({
    status: 'accepted',
    recipients: [
      ['alice@example.com', 'accepted', 250],
      ['carol@example.com', 'permanent', 550],
    ],
    received: [{ from: 'bob@example.org', to: ['alice@example.com'], octets: 22 }],
    refused: 'OptionsError: invalid server options:\nsmtp.maxMesageSize: unknown option (did you mean maxMessageSize?)',
  })
})

it('refuses to compile a misspelled option', () => {
  const build = compile('misspelled.ts')
  expect(build.status).not.toBe(0)
  // TS2561: an object literal with a property the type does not have, and the name it probably meant
  expect(build.stdout).toMatch(/misspelled\.ts\(4,\d+\): error TS2561: .*'maxMesageSize'.*'maxMessageSize'/)
})

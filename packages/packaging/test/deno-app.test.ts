// @smtpure/deno as a Deno user meets it: its tarball and those it depends on installed from npm into an
// app outside the workspace, and the package's example run and type-checked there by real Deno. Deno
// strips TypeScript only outside node_modules, so the package must run as JavaScript once installed.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { execFileSync, spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, inject, it } from 'vitest'
import { workspaceRoot } from './packAll.js'

const deno = join(workspaceRoot, 'node_modules', '.bin', 'deno')
const app = mkdtempSync(join(tmpdir(), 'smtpure-deno-app-'))
const tarballs = ['core', 'driver', 'node', 'deno'].map((p) => `smtpure-${p}-0.1.0.tgz`)
const permissions = ['--allow-net=127.0.0.1', '--allow-read', '--allow-env', '--allow-sys']

beforeAll(() => {
  for (const t of tarballs) copyFileSync(join(inject('packDir'), t), join(app, t))
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'deno-app', private: true, type: 'module' }))
  execFileSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs.map((t) => `./${t}`)],
    { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  copyFileSync(join(workspaceRoot, 'packages', 'deno', 'examples', 'hello.ts'), join(app, 'hello.ts'))
})

afterAll(() => rmSync(app, { recursive: true, force: true }))

const run = (args: string[]) =>
  spawnSync(deno, args, { cwd: app, encoding: 'utf8', timeout: 60000, env: { ...process.env, NO_COLOR: '1' } })

it('runs the example against the installed packages', () => {
  const r = run(['run', ...permissions, 'hello.ts'])
  expect(r.stderr).not.toMatch(/ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING/)
  expect(r.status).toBe(0)
  expect(r.stdout).toContain('message accepted Ok: queued as 1')
})

it('type-checks the example against the installed packages', () => {
  const r = run(['check', 'hello.ts'])
  expect(r.stdout + r.stderr).not.toMatch(/error/i)
  expect(r.status).toBe(0)
})

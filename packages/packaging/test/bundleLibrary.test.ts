// scripts/bundle-library.mjs on small packages made here: another @smtpure package stays an import when the
// manifest lists it (as a dependency or a peer), and one the manifest forgets stops the build instead of being
// taken into the bundle as a second copy (with its own SmtpError class, which instanceof would not know).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { workspaceRoot } from './packAll.js'

const scratch = mkdtempSync(join(tmpdir(), 'smtpure-bundle-library-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** A package in the scratch folder whose dist/index.js re-exports @smtpure/driver's SmtpError. */
const fixture = (name: string, manifest: Record<string, unknown>): string => {
  const dir = join(scratch, name)
  mkdirSync(join(dir, 'dist'), { recursive: true })
  mkdirSync(join(dir, 'node_modules', '@smtpure'), { recursive: true })
  for (const p of ['core', 'driver'])
    symlinkSync(join(workspaceRoot, 'packages', p), join(dir, 'node_modules', '@smtpure', p), 'dir')
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `@smtpure/${name}`, type: 'module', ...manifest }))
  writeFileSync(join(dir, 'dist', 'index.js'), "export { SmtpError } from '@smtpure/driver'\n")
  return dir
}

const bundle = (dir: string): { status: number | null; stderr: string; text: string | undefined } => {
  const run = spawnSync(process.execPath, [join(workspaceRoot, 'scripts', 'bundle-library.mjs')], {
    cwd: dir,
    encoding: 'utf8',
  })
  const file = join(dir, 'dist', 'bundle.js')
  return { status: run.status, stderr: run.stderr, text: existsSync(file) ? readFileSync(file, 'utf8') : undefined }
}

describe('scripts/bundle-library.mjs', () => {
  it.each(['dependencies', 'peerDependencies', 'optionalDependencies'])(
    'leaves a package listed in %s an import',
    (field) => {
      const run = bundle(fixture(`listed-${field}`, { [field]: { '@smtpure/driver': '^0.1.0' } }))
      expect(run.stderr).toBe('')
      expect(run.status).toBe(0)
      expect(run.text).toMatch(/from ["']@smtpure\/driver["']/)
      expect(run.text).not.toMatch(/class SmtpError/)
    },
  )

  it('stops with the reason, and no bundle, when a package it imports is not in the manifest', () => {
    const run = bundle(fixture('unlisted', { devDependencies: { '@smtpure/driver': '0.1.0' } }))
    expect(run.status).not.toBe(0)
    expect(run.stderr).toMatch(/packages\/driver\/dist\/.*list the package it belongs to in the dependencies/)
    expect(run.text).toBeUndefined()
  })
})

// Packs every published package once (`npm pack`, the tarball a user would download) into a
// temporary folder outside the workspace; the tests read the folder's path with inject('packDir').
// The packages are built by `turbo run build` before the tests, so pack scripts are skipped here
// (rebuilding the command's bundle would race with other packages' tests that run it).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { TestProject } from 'vitest/node'

/** The packages users install from the registry, by folder under packages/. */
export const published = ['core', 'driver', 'node', 'bun', 'deno', 'maildir', 'memory', 'cli'] as const

export const workspaceRoot = resolve(import.meta.dirname, '../../..')

declare module 'vitest' {
  export interface ProvidedContext {
    packDir: string
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'smtpure-packs-'))
  execFileSync(
    'npm',
    [
      'pack',
      '--ignore-scripts',
      '--silent',
      '--pack-destination',
      dir,
      ...published.flatMap((p) => ['-w', `packages/${p}`]),
    ],
    { cwd: workspaceRoot, stdio: ['ignore', 'ignore', 'inherit'] },
  )
  project.provide('packDir', dir)
  return () => rmSync(dir, { recursive: true, force: true })
}

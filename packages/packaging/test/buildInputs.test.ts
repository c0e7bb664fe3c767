// A package's build that runs a file of the workspace's scripts/ folder (the library bundler, the esbuild
// helpers it shares with the command's bundler) must have turbo hash that file with the package's own: else
// a change to the script replays the cached build, and the packages keep bundles the old script made.
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { workspaceRoot } from './packAll.js'

interface DryTask {
  readonly taskId: string
  readonly task: string
  readonly directory: string
  readonly inputs: Record<string, string>
}

const rootScripts = readdirSync(join(workspaceRoot, 'scripts'))
const read = (...path: string[]): string => readFileSync(join(workspaceRoot, ...path), 'utf8')

/** The files of scripts/ a package's build runs: named by its build script or its own scripts, and theirs. */
const scriptsUsedBy = (directory: string): string[] => {
  const build = (JSON.parse(read(directory, 'package.json')) as { scripts?: { build?: string } }).scripts?.build
  const own = readdirSync(join(workspaceRoot, directory)).includes('scripts')
    ? readdirSync(join(workspaceRoot, directory, 'scripts')).map((f) => read(directory, 'scripts', f))
    : []
  const used = new Set(rootScripts.filter((s) => [build ?? '', ...own].some((t) => t.includes(`../scripts/${s}`))))
  for (const s of [...used]) for (const t of rootScripts) if (read('scripts', s).includes(`./${t}`)) used.add(t)
  return [...used].sort()
}

describe('turbo build inputs', () => {
  const dry = JSON.parse(
    execFileSync(join(workspaceRoot, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--dry=json'], {
      cwd: workspaceRoot,
      encoding: 'utf8',
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    }),
  ) as { tasks: DryTask[] }
  const builds = dry.tasks.filter((t) => t.task === 'build').map((t) => [t.taskId, t] as const)

  it('name the library bundles and the command among the builds that run scripts/', () => {
    const users = builds.filter(([, t]) => scriptsUsedBy(t.directory).length > 0).map(([id]) => id)
    expect(users).toEqual(
      expect.arrayContaining(['core', 'driver', 'node', 'maildir', 'memory', 'cli'].map((p) => `@smtpure/${p}#build`)),
    )
  })

  it.each(builds)('of %s include every file of scripts/ it runs', (_, task) => {
    for (const s of scriptsUsedBy(task.directory)) expect(Object.keys(task.inputs)).toContain(`../../scripts/${s}`)
  })
})

// The docs state facts the code can check: docs/protocol-coverage.md names test files that exist for
// each row, and docs/cli.md documents exactly the flags the command takes.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runCli } from './cli.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const read = (path: string) => readFileSync(`${root}${path}`, 'utf8')

/** The "tested in" cell of each table row of protocol-coverage.md, with the row's first cells. */
const coverageRows = (): Array<{ row: string; paths: string[] }> =>
  read('docs/protocol-coverage.md')
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| section') && !l.startsWith('| ---'))
    .map((l) => {
      const cells = l.split('|').slice(1, -1)
      const tested = cells.at(-1) ?? ''
      return {
        row: cells.slice(0, 2).join('|').trim(),
        paths: [...tested.matchAll(/`([^`]+\.test\.ts)`/g)].map((m) => m[1]!),
      }
    })

/** Does a test path (relative to packages/core/test unless it names a package; `*` allowed) exist? */
const exists = (path: string): boolean => {
  const full = path.startsWith('packages/') ? `${root}${path}` : `${root}packages/core/test/${path}`
  if (!full.includes('*')) return existsSync(full)
  const dir = full.slice(0, full.lastIndexOf('/'))
  const pattern = new RegExp(
    `^${full
      .slice(dir.length + 1)
      .replace(/\./g, '\\.')
      .replace('*', '.*')}$`,
  )
  return existsSync(dir) && readdirSync(dir).some((f) => pattern.test(f))
}

describe('docs/protocol-coverage.md', () => {
  it('every test file a row names exists', () => {
    const missing = coverageRows().flatMap(({ row, paths }) =>
      paths.filter((p) => !exists(p)).map((p) => `${row}: ${p}`),
    )
    expect(coverageRows().flatMap((r) => r.paths).length).toBeGreaterThan(100)
    expect(missing).toEqual([])
  })
  it.each([
    ['RFC 2033 4.2', /\| 4\.2 +\| DATA or BDAT with no accepted recipient/],
    ['RFC 1870 6.1', /\| 6\.1 +\| a declared size over the limit, or too big to count/],
    ['RFC 5321 4.5.1', /\| 4\.5\.1, 2\.3\.5 +\| postmaster/],
    ['RFC 5321 4.5.3.2.5', /\| 4\.5\.3\.2\.5 +\| the data timeout covers each block/],
  ])('has the %s row, naming a test', (_, pattern) => {
    const line = read('docs/protocol-coverage.md')
      .split('\n')
      .find((l) => pattern.test(l))
    expect(line).toBeDefined()
    expect(line).toMatch(/`[^`]+\.test\.ts`/)
  })
})

describe('docs/cli.md', () => {
  const flagsIn = (text: string): string[] =>
    [...new Set([...text.matchAll(/(?<![\w-])--[a-z][a-z-]+/g)].map((m) => m[0]))].sort()
  it.each(['serve', 'send', 'simulate'])('documents exactly the flags of `smtpure %s --help`', async (command) => {
    const help = (await runCli([command, '--help'])).stdout
    const docs = read('docs/cli.md')
    const section = docs.slice(docs.indexOf(`## \`smtpure ${command}\``)).split(/\n## /)[0]!
    const tableFlags = flagsIn(
      section
        .split('\n')
        .filter((l) => l.startsWith('| `--'))
        .map((l) => l.split('|')[1])
        .join(' '),
    )
    const helpFlags = flagsIn(help.slice(help.indexOf('Options:'), help.indexOf('\n\n', help.indexOf('Options:'))))
    expect(helpFlags.length).toBeGreaterThan(8)
    expect(tableFlags).toEqual(helpFlags.filter((f) => f !== '--help'))
  })
  it.each([
    ['send', ['0', '64', '65', '66', '69', '75', '76', '77']],
    // simulate: 70 for an error in a run, 73 for a --trace file it cannot write
    ['simulate', ['0', '1', '64', '70', '73']],
  ])('lists the exit codes `smtpure %s --help` lists', async (command, codes) => {
    const help = (await runCli([command, '--help'])).stdout
    const fromHelp = [...help.slice(help.indexOf('Exit status:')).matchAll(/^ {2}(\d+) /gm)].map((m) => m[1])
    const docs = read('docs/cli.md')
    const section = docs.slice(docs.indexOf(`## \`smtpure ${command}\``)).split(/\n## /)[0]!
    const fromDocs = [...section.matchAll(/^\| (\d+) +\|/gm)].map((m) => m[1])
    expect(fromHelp).toEqual(codes)
    expect(fromDocs).toEqual(fromHelp)
  })
})

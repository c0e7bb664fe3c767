// The facts README.md and docs/ state that the code can check: every TypeScript block compiles against the
// built packages (or is an example file that its package's tests compile and run), every link and anchor
// leads somewhere, the package table lists the workspace's packages by their names, and the exit codes the
// README gives for `send` are those of docs/cli.md, and docs/security.md's limits are the code's defaults.
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { defaultServerConfig } from '@smtpure/core'
import { defaultConnectionLimits } from '@smtpure/driver'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { workspaceRoot } from './packAll.js'
import { publicTypes } from './publicTypes.js'

const read = (path: string): string => readFileSync(join(workspaceRoot, path), 'utf8')
interface PackageManifest {
  readonly name: string
  readonly exports?: Record<string, { readonly default?: string }>
  readonly scripts?: Record<string, string>
}
const pages = ['README.md', ...readdirSync(join(workspaceRoot, 'docs')).map((f) => `docs/${f}`)].filter((p) =>
  p.endsWith('.md'),
)
const packageDirs = readdirSync(join(workspaceRoot, 'packages')).filter((p) =>
  existsSync(join(workspaceRoot, 'packages', p, 'package.json')),
)
const packageReadmes = packageDirs
  .map((p) => `packages/${p}/README.md`)
  .filter((p) => existsSync(join(workspaceRoot, p)))

/** Fenced blocks of a page, with their language and the line they start on. */
const blocks = (page: string): Array<{ lang: string; code: string; line: number }> => {
  const found: Array<{ lang: string; code: string; line: number }> = []
  const lines = read(page).split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)$/.exec(lines[i]!)
    if (open === null) continue
    const end = lines.indexOf('```', i + 1)
    found.push({ lang: open[1]!, code: lines.slice(i + 1, end).join('\n') + '\n', line: i + 1 })
    i = end
  }
  return found
}

/** The example files: each page that shows one shows it whole, and its package's tests compile (and run) it. */
const examples = packageDirs.flatMap((p) => {
  const dir = join(workspaceRoot, 'packages', p, 'examples')
  return existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')) : []
})

/** Blocks that are parts of a program, checked by the test that runs that program. */
const checkedElsewhere: Readonly<Record<string, string>> = {
  'docs/simulation.md': 'packages/memory/test/docs.test.ts compares it with the example it runs',
}

describe('TypeScript in the docs', () => {
  const snippets = pages.flatMap((page) =>
    blocks(page)
      .filter((b) => b.lang === 'ts' && !examples.includes(b.code) && checkedElsewhere[page] === undefined)
      .map((b) => ({ ...b, page })),
  )

  it('compiles every block under the strict options the packages use', () => {
    expect(snippets.length).toBeGreaterThan(1) // docs/api.md has two
    // each block is a module of this folder, so that the packages resolve as a user's install has them
    const files = new Map(
      snippets.map((s, i) => [
        join(workspaceRoot, 'packages', 'packaging', 'test', `__snippet_${i}__.ts`),
        { ...s, code: `${s.code}\nexport {}\n` },
      ]),
    )
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022,
      lib: ['lib.es2022.d.ts'],
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    }
    const host = ts.createCompilerHost(options)
    const getSourceFile = host.getSourceFile.bind(host)
    host.getSourceFile = (file, language, ...rest) => {
      const snippet = files.get(file)
      return snippet ? ts.createSourceFile(file, snippet.code, language) : getSourceFile(file, language, ...rest)
    }
    const fileExists = host.fileExists.bind(host)
    host.fileExists = (file) => files.has(file) || fileExists(file)
    const program = ts.createProgram([...files.keys()], options, host)
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const snippet = d.file && files.get(d.file.fileName)
      const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0
      const where = snippet ? `${snippet.page}:${snippet.line + 1 + at}` : (d.file?.fileName ?? '')
      return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`
    })
    expect(problems).toEqual([])
  })

  it('tags only TypeScript as ts', () => {
    // a block tagged ts that is not a program (pseudo-code) would escape the check above as a failure
    for (const page of pages)
      for (const b of blocks(page).filter((x) => x.lang === 'ts'))
        expect(
          /^(import|const|let|await|\/\/|export|type|interface|function|for|if)\b/m.test(b.code),
          `${page}:${b.line}`,
        ).toBe(true)
  })
})

const codeSpans = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)

/** GitHub's anchor for a heading. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')

const anchorsOf = (path: string): Set<string> =>
  new Set(
    read(path)
      .split('\n')
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => slug(l.replace(/^#+ /, ''))),
  )

const repository = (JSON.parse(read('package.json')) as { repository: { url: string } }).repository.url
  .replace(/^git\+/, '')
  .replace(/\.git$/, '')

describe('links', () => {
  it.each(pages)('%s: every relative link and anchor leads somewhere', (page) => {
    const broken: string[] = []
    for (const m of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!
      if (/^[a-z]+:/.test(target)) continue
      const [file, anchor] = target.split('#')
      const path = file === '' ? page : relative(workspaceRoot, join(workspaceRoot, dirname(page), file!))
      if (!existsSync(join(workspaceRoot, path))) broken.push(target)
      else if (anchor !== undefined && path.endsWith('.md') && !anchorsOf(path).has(anchor)) broken.push(target)
    }
    expect(broken).toEqual([])
  })

  it.each(packageReadmes)('%s: links into the repository name files that exist', (readme) => {
    const links = [...read(readme).matchAll(/\]\((https:\/\/github\.com\/[^)\s]+)\)/g)].map((m) => m[1]!)
    expect(links.length).toBeGreaterThan(0)
    for (const link of links) {
      expect(link.startsWith(`${repository}/blob/main/`), link).toBe(true)
      expect(existsSync(join(workspaceRoot, link.slice(`${repository}/blob/main/`.length).split('#')[0]!)), link).toBe(
        true,
      )
    }
  })
})

describe('README.md', () => {
  const readme = read('README.md')

  it('names the repository that every package.json names', () => {
    expect(repository).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/)
    expect(readme).toContain(repository)
  })

  it('lists every package of the workspace in its table, published ones by their npm names', () => {
    const rows = readme
      .split('\n')
      .filter((l) => l.startsWith('| `packages/'))
      .map((l) => l.split('|').map((c) => c.trim()))
    expect(rows.map((r) => /`packages\/([\w-]+)`/.exec(r[1]!)?.[1]).sort()).toEqual([...packageDirs].sort())
    for (const r of rows) {
      const dir = /`packages\/([\w-]+)`/.exec(r[1]!)![1]!
      const manifest = JSON.parse(read(`packages/${dir}/package.json`)) as { name: string; private?: boolean }
      if (manifest.private === true) expect(r[2], dir).not.toMatch(/^`@smtpure\//)
      else expect(r[2]!.startsWith(`\`${manifest.name}\``), dir).toBe(true)
    }
  })

  it('links every page of docs/', () => {
    const linked = new Set([...readme.matchAll(/\]\(docs\/([\w-]+\.md)[)#]/g)].map((m) => m[1]))
    expect(pages.filter((p) => p.startsWith('docs/') && !linked.has(p.slice(5)))).toEqual([])
  })

  it('gives the exit codes of `send` that docs/cli.md gives', () => {
    const codesIn = (text: string): number[] =>
      [...new Set([...text.matchAll(/\b(\d{1,2})\b/g)].map((m) => Number(m[1])))].sort((a, b) => a - b)
    const cli = read('docs/cli.md')
    // the heading and the table under it
    const stated = cli.slice(cli.indexOf('Exit status (sysexits):')).split('\n\n').slice(0, 2).join('\n')
    const sentence = /`send` prints[^.]*?exits ([^.]*)\./s.exec(readme)
    expect(sentence, 'the README says how send exits').not.toBeNull()
    expect(codesIn(sentence![1]!.replace(/\([^)]*\)/g, ''))).toEqual(
      codesIn(stated.replace(/\d+(\.\d+)+|\d+ seconds|\dyz/g, '')),
    )
  })
})

/** A default as docs/security.md writes it (`512 octets`, `25 MiB`, `5 minutes`, `off`, `reject`), as a value. */
const quantity = (cell: string): unknown => {
  const text = cell.replace(/`/g, '').trim()
  if (text === 'off') return false
  if (text === 'on') return true
  const m = /^(\d+(?:\.\d+)?)\s*(octets\/s|octets|KiB|MiB|ms|seconds?|minutes?)?$/.exec(text)
  if (m === null) return text
  const factor: Record<string, number> = { KiB: 1024, MiB: 1024 * 1024, second: 1000, seconds: 1000 }
  factor.minute = factor.minutes = 60 * 1000
  return Number(m[1]) * (factor[m[2] ?? ''] ?? 1)
}

/** Every table row of a page, with the header of its table: `{ option: '`maxRecipients`', default: '100', ... }`. */
const tableRows = (page: string, part?: { from: string; to: string }): Array<Record<string, string>> => {
  const text = read(page)
  const lines = (part ? text.slice(text.indexOf(part.from), text.indexOf(part.to)) : text).split('\n')
  const rows: Array<Record<string, string>> = []
  let header: string[] = []
  lines.forEach((line, i) => {
    if (!line.startsWith('|')) return (header = [])
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim())
    if (/^\|(?: *:?-+:? *\|)+$/.test(line)) return
    if (header.length === 0 && /^\|(?: *:?-+:? *\|)+$/.test(lines[i + 1] ?? '')) return (header = cells)
    rows.push(Object.fromEntries(header.map((h, k) => [h, cells[k] ?? ''])))
  })
  return rows
}

describe('defaults the guides state', () => {
  const server = defaultServerConfig() as unknown as Record<string, unknown>
  const limits = { ...defaultConnectionLimits } as Record<string, unknown>
  const handshake = publicTypes(workspaceRoot, [{ module: '@smtpure/node', name: 'SmtpServerOptions' }])
    .get('@smtpure/node.SmtpServerOptions')!
    .properties.find((p) => p.name === 'tlsHandshakeTimeoutMs')!
  // the session's codec defaults, the connection limits, and the handshake deadline its TSDoc states
  const code: Record<string, unknown> = {
    ...server,
    ...limits,
    tlsHandshakeTimeoutMs: Number(handshake.documentedDefault),
  }

  it.each([
    ['docs/security.md', 17],
    ['docs/architecture.md', 8],
  ] as const)("%s states the code's defaults", (page, least) => {
    const stated = tableRows(page).flatMap((row) => {
      const key = /^`(\w+)`$/.exec(row.option ?? row.config ?? '')?.[1]
      if (key === undefined || row.default === undefined || !Object.hasOwn(code, key)) return []
      // the value before any remark: `512 (RFC 5321 4.5.3.1.4)`, `25 MiB, advertised as SIZE`, `1000 (...), 0 = none`
      return [{ key, value: quantity(row.default.split(/ \(|, /)[0]!) }]
    })
    expect(stated.length).toBeGreaterThanOrEqual(least)
    for (const { key, value } of stated) expect(value, key).toEqual(code[key])
  })
})

describe('docs/architecture.md', () => {
  const tags = publicTypes(
    workspaceRoot,
    ['ServerInput', 'ServerOutput', 'Question', 'ClientInput', 'ClientOutput'].map((name) => ({
      module: '@smtpure/core',
      name,
    })),
  )
  const tagsOf = (name: string) =>
    tags
      .get(`@smtpure/core.${name}`)!
      .tags.map((t) => t.tag)
      .sort()
  const server = { from: '## The server session', to: '## The client session' }
  const client = { from: '## The client session', to: '## Driver and adapters' }
  const named = (part: { from: string; to: string }, column: string) =>
    tableRows('docs/architecture.md', part)
      .filter((r) => r[column] !== undefined)
      .flatMap((r) => codeSpans(r[column]!).map((c) => /^\w+/.exec(c)![0]))
      .sort()

  it('lists the inputs and outputs of the server session that the core has', () => {
    expect(named(server, 'input')).toEqual(tagsOf('ServerInput'))
    expect(named(server, 'output')).toEqual(tagsOf('ServerOutput'))
  })

  it('lists the inputs and outputs of the client session that the core has', () => {
    expect(named(client, 'input')).toEqual(tagsOf('ClientInput'))
    expect(named(client, 'output')).toEqual(tagsOf('ClientOutput'))
  })

  it("names every package entered through dist/bundle.js, whose build makes it after the compiler's", () => {
    const doc = read('docs/architecture.md')
    const paragraph = doc.slice(doc.indexOf('### Loading'), doc.indexOf('## Files'))
    const bundled = packageDirs
      .map((p) => JSON.parse(read(`packages/${p}/package.json`)) as PackageManifest)
      .filter((m) => m.exports?.['.']?.default === './dist/bundle.js')
    expect(bundled.length).toBeGreaterThan(0)
    expect(
      codeSpans(paragraph)
        .filter((c) => c.startsWith('@smtpure/'))
        .sort(),
    ).toEqual(bundled.map((m) => m.name).sort())
    for (const m of bundled) expect(m.scripts?.build).toBe('tsc -b && node ../../scripts/bundle-library.mjs')
  })

  it('lists the questions the core asks', () => {
    const doc = read('docs/architecture.md')
    const paragraph = doc.slice(doc.indexOf('Questions: '), doc.indexOf('Answers:'))
    expect(codeSpans(paragraph).sort()).toEqual(tagsOf('Question'))
  })
})

describe('docs/security.md', () => {
  const doc = read('docs/security.md')

  it('names only flags the command has', () => {
    const cli = read('docs/cli.md')
    const flags = [...new Set([...doc.matchAll(/(?<![\w-])--[a-z][a-z-]+/g)].map((m) => m[0]))]
    expect(flags.length).toBeGreaterThan(2)
    for (const f of flags) expect(cli, f).toContain(`| \`${f}`)
  })
})

it('builds no address by hand in the docs and examples: mailboxText writes a Mailbox', () => {
  const sources = [
    ...pages,
    ...packageDirs.flatMap((p) => {
      const dir = join(workspaceRoot, 'packages', p, 'examples')
      return existsSync(dir) ? readdirSync(dir).map((f) => `packages/${p}/examples/${f}`) : []
    }),
  ]
  expect(sources.filter((f) => /\$\{[\w.]*localPart\}@\$\{[\w.]*domain\}/.test(read(f)))).toEqual([])
})

it('writes the Received field as UTF-8 in the docs, the examples and the sources, never one octet per character', () => {
  const sourcesOf = (sub: string) =>
    packageDirs.flatMap((p) => {
      const dir = join(workspaceRoot, 'packages', p, sub)
      return existsSync(dir)
        ? readdirSync(dir, { recursive: true, encoding: 'utf8' })
            .filter((f) => f.endsWith('.ts'))
            .map((f) => `packages/${p}/${sub}/${f}`)
        : []
    })
  const sources = [...pages, ...sourcesOf('examples'), ...sourcesOf('src')]
  expect(sources.length).toBeGreaterThan(20)
  // RFC 6532 3.2: Latin-1 would turn U+4E0D into CR and U+4E0A into LF, a header line the client wrote
  const oneOctet = /received\b[^\n]*(?:'latin1'|"latin1"|charCodeAt\([^)]*\)\s*&\s*0xff)/i
  expect(sources.filter((f) => oneOctet.test(read(f)))).toEqual([])
})

describe('docs/cli.md against the command', () => {
  const cli = read('docs/cli.md')
  const help = (command: string): string =>
    execFileSync(process.execPath, [join(workspaceRoot, 'packages/cli/dist/main.cjs'), command, '--help'], {
      encoding: 'utf8',
    })
  /** Each option's default as `--help` states it: `--port N  ... (default 2525; ...)`. */
  const helpDefaults = (text: string): Map<string, string> => {
    const found = new Map<string, string>()
    let flag: string | undefined
    for (const line of text.split('\n')) {
      const start = /^ {2}(--[a-z-]+)/.exec(line)
      if (start !== null) flag = start[1]
      else if (!line.startsWith('    ')) flag = undefined
      const stated = /\(default ([^;)]+)[;)]/.exec(line)
      if (flag !== undefined && stated !== null) found.set(flag, stated[1]!)
    }
    return found
  }
  const section = (command: string): string => cli.slice(cli.indexOf(`## \`smtpure ${command}\``)).split(/\n## /)[0]!

  it.each(['serve', 'send'])('gives the defaults `smtpure %s --help` gives', (command) => {
    const defaults = helpDefaults(help(command))
    expect(defaults.size).toBeGreaterThan(1)
    const rows = section(command)
      .split('\n')
      .filter((l) => l.startsWith('| `--'))
      .map((l) => l.split('|').map((c) => c.trim()))
    for (const [flag, value] of defaults) {
      const row = rows.find((r) => r[1]!.startsWith(`\`${flag} `) || r[1] === `\`${flag}\``)
      expect(row, flag).toBeDefined()
      expect(row![2], flag).toBe(value)
    }
  })

  it('uses only flags the command has, wherever a page runs it', () => {
    const commands = ['serve', 'send', 'simulate'] as const
    const flags = new Map(
      commands.map((c) => [c, new Set([...help(c).matchAll(/(?<![\w-])--[a-z][a-z-]*/g)].map((m) => m[0]))]),
    )
    const unknown: string[] = []
    let runs = 0
    for (const page of [...pages, ...packageReadmes])
      read(page)
        .split('\n')
        .forEach((line, i) => {
          for (const m of line.matchAll(/(?:smtpure|main\.js) (serve|send|simulate)\b([^`|]*)/g)) {
            runs += 1
            const known = flags.get(m[1] as (typeof commands)[number])!
            for (const f of m[2]!.matchAll(/(?<![\w-])--[a-z][a-z-]*/g))
              if (!known.has(f[0])) unknown.push(`${page}:${i + 1}: ${m[1]} ${f[0]}`)
          }
        })
    expect(runs).toBeGreaterThan(10)
    expect(unknown).toEqual([])
  })

  it("gives the library's defaults for the flags that set a library option", () => {
    const d = helpDefaults(help('serve'))
    const proxyTimeout = publicTypes(workspaceRoot, [{ module: '@smtpure/node', name: 'ProxyOptions' }])
      .get('@smtpure/node.ProxyOptions')!
      .properties.find((p) => p.name === 'timeoutMs')!.documentedDefault
    const server = defaultServerConfig()
    const stated = {
      '--hostname': server.hostname,
      '--max-size': String(server.maxMessageSize),
      '--max-recipients': String(server.maxRecipients),
      '--max-connections': String(defaultConnectionLimits.maxConnections),
      '--max-connections-per-address': String(defaultConnectionLimits.maxConnectionsPerAddress),
      '--proxy-timeout': proxyTimeout,
    }
    for (const [flag, value] of Object.entries(stated)) expect(d.get(flag), flag).toBe(value)
  })

  it("says where README.md's `npm start` listens and delivers, as serve's defaults are", () => {
    const d = helpDefaults(help('serve'))
    const where = /^(\S+)/.exec(d.get('--host') ?? '')?.[1]
    expect(read('README.md')).toContain(
      `an SMTP server on ${where}:${d.get('--port')} delivering into ${d.get('--maildir')}`,
    )
  })

  it('gives the exit codes of `send` that `smtpure send --help` gives', () => {
    const codesIn = (text: string): number[] =>
      [...new Set([...text.matchAll(/\b(\d{1,2})\b/g)].map((m) => Number(m[1])))].sort((a, b) => a - b)
    // the lines under `Exit status:`, up to the blank line: each starts with its code
    const fromHelp = /Exit status:\n([^]*?)\n\n/.exec(help('send'))
    expect(fromHelp).not.toBeNull()
    // the heading and the table under it
    const stated = cli.slice(cli.indexOf('Exit status (sysexits):')).split('\n\n').slice(0, 2).join('\n')
    const helpCodes = [...fromHelp![1]!.matchAll(/^ {2}(\d{1,2}) /gm)].map((m) => Number(m[1]))
    expect(codesIn(stated.replace(/\d+(\.\d+)+|\d+ seconds|\dyz/g, ''))).toEqual(helpCodes)
  })
})

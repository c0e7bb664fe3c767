// docs/api.md against the public types: each table documents one type, read from the built declaration
// files with the TypeScript compiler. A key the type has and the table lacks fails, and so does a row for
// a key the type no longer has; defaults must be the code's (the codec defaults, or what a key's TSDoc
// states); a row names every string value its key may take and every argument of a hook. A new type
// joins the check by one line in `documented`.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { clientConfig, defaultClientTimeouts, defaultServerConfig } from '@smtpure/core'
import { defaultConnectionLimits } from '@smtpure/driver'
import { describe, expect, it } from 'vitest'
import { workspaceRoot } from './packAll.js'
import { type PublicProperty, moduleExports, publicTypes } from './publicTypes.js'

const page = readFileSync(join(workspaceRoot, 'docs', 'api.md'), 'utf8')

const decodedClient = clientConfig({ helo: 'client.example.org' })
if (decodedClient._tag === 'Left') throw new Error(decodedClient.left.errors.join('\n'))
const { helo: _helo, auth: _auth, timeouts: _timeouts, ...clientDefaults } = decodedClient.right

interface Documented {
  readonly module: '@smtpure/core' | '@smtpure/driver' | '@smtpure/node'
  readonly name: string
  /** The heading of the section whose table documents the type, as the page has it. */
  readonly heading: string
  /** The code's defaults: each row of one of these keys states exactly this value as code. */
  readonly defaults?: Readonly<Record<string, unknown>>
  /** Rows are the `_tag` values of a union rather than its keys. */
  readonly byTag?: true
}

const documented: ReadonlyArray<Documented> = [
  {
    module: '@smtpure/node',
    name: 'SmtpServerOptions',
    heading: '### `createSmtpServer(options)`',
    defaults: { ...defaultConnectionLimits },
  },
  { module: '@smtpure/node', name: 'ProxyOptions', heading: '### `ProxyOptions`' },
  { module: '@smtpure/driver', name: 'TlsFiles', heading: '### `TlsFiles`' },
  { module: '@smtpure/node', name: 'SmtpServer', heading: '### `SmtpServer`' },
  {
    module: '@smtpure/core',
    name: 'ServerOptions',
    heading: '### Server session options (`smtp`)',
    defaults: defaultServerConfig(),
  },
  { module: '@smtpure/driver', name: 'ServerHooks', heading: '## Hooks (`ServerHooks`)' },
  { module: '@smtpure/driver', name: 'SessionInfo', heading: '### `SessionInfo`' },
  { module: '@smtpure/driver', name: 'CloseReason', heading: '### `CloseReason`' },
  { module: '@smtpure/driver', name: 'IncomingMessage', heading: '### `IncomingMessage`' },
  { module: '@smtpure/driver', name: 'SmtpError', heading: '### `SmtpError`' },
  { module: '@smtpure/core', name: 'Hello', heading: '#### `Hello`' },
  { module: '@smtpure/core', name: 'Credentials', heading: '#### `Credentials`' },
  { module: '@smtpure/core', name: 'Mailbox', heading: '#### `Mailbox`' },
  { module: '@smtpure/core', name: 'Envelope', heading: '#### `Envelope`' },
  { module: '@smtpure/core', name: 'MailParams', heading: '#### `MailParams`' },
  { module: '@smtpure/core', name: 'RcptParams', heading: '#### `RcptParams`' },
  { module: '@smtpure/core', name: 'Reply', heading: '#### `Reply`' },
  { module: '@smtpure/driver', name: 'Logger', heading: '### `Logger`' },
  { module: '@smtpure/node', name: 'ConnectOptions', heading: '### `connectSmtp(options)`' },
  {
    module: '@smtpure/core',
    name: 'ClientOptions',
    heading: '### Client session options (`smtp`)',
    defaults: clientDefaults,
  },
  { module: '@smtpure/core', name: 'ClientAuthOptions', heading: '#### `auth`' },
  { module: '@smtpure/core', name: 'ClientTimeouts', heading: '#### `timeouts`', defaults: defaultClientTimeouts },
  { module: '@smtpure/core', name: 'ClientXclient', heading: '#### `xclient`' },
  { module: '@smtpure/driver', name: 'ClientSession', heading: '### `ClientSession`' },
  { module: '@smtpure/core', name: 'ClientReady', heading: '#### `ClientReady`' },
  { module: '@smtpure/core', name: 'ServerCapabilities', heading: '#### `ServerCapabilities`' },
  { module: '@smtpure/driver', name: 'OutgoingMessage', heading: '### `OutgoingMessage`' },
  { module: '@smtpure/core', name: 'ClientEnvelope', heading: '#### `ClientEnvelope`' },
  { module: '@smtpure/core', name: 'ClientRecipient', heading: '#### `ClientRecipient`' },
  { module: '@smtpure/core', name: 'ClientMailParams', heading: '#### `ClientMailParams`' },
  { module: '@smtpure/driver', name: 'SentMessage', heading: '### The result: `SentMessage`' },
  { module: '@smtpure/core', name: 'RecipientOutcome', heading: '#### `RecipientOutcome`' },
  { module: '@smtpure/driver', name: 'SmtpClientError', heading: '### Errors: `SmtpClientError` and `ClientError`' },
  { module: '@smtpure/core', name: 'ClientError', heading: '#### `ClientError`', byTag: true },
  { module: '@smtpure/driver', name: 'OptionsError', heading: '## `OptionsError`' },
]

/** Sections of the page whose tables document no type (lists of packages and such). */
const untyped = ['## Entry points']

const types = publicTypes(workspaceRoot, documented)

interface Row {
  /** The first cell's code: the key, hook or tag the row is about. */
  readonly key: string
  readonly cells: ReadonlyArray<string>
  readonly line: string
}

/** The lines under `heading` up to the next heading of any level. */
const section = (heading: string): string[] => {
  const lines = page.split('\n')
  const start = lines.indexOf(heading)
  if (start < 0) return []
  const end = lines.findIndex((l, i) => i > start && /^#{1,6} /.test(l))
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

/** A table line's cells; `\|` inside a cell is a pipe, not a border. */
const cellsOf = (line: string): string[] =>
  line
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.replace(/\\\|/g, '|').trim())

/** A section's one table: its header cells and its rows. */
const table = (heading: string): { header: string[]; rows: Row[] } => {
  const lines = section(heading).filter((l) => l.startsWith('|'))
  const [head, , ...body] = lines
  return {
    header: head === undefined ? [] : cellsOf(head),
    rows: body.map((line) => {
      const cells = cellsOf(line)
      return { key: /^`([^`]+)`/.exec(cells[0] ?? '')?.[1] ?? cells[0] ?? '', cells, line }
    }),
  }
}

const codeSpans = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)
/** Names a row mentions in code: words of its code spans, quotes removed. */
const codeWords = (text: string): Set<string> => new Set(codeSpans(text).flatMap((s) => s.match(/[\w-]+/g) ?? []))
const unquoted = (s: string): string => s.replace(/^['"]|['"]$/g, '')

describe('docs/api.md', () => {
  it.each(documented.map((d) => [`${d.module} ${d.name}`, d] as const))(
    'documents every key of %s, and no other',
    (_, d) => {
      const type = types.get(`${d.module}.${d.name}`)!
      const { rows } = table(d.heading)
      expect(rows.length, `a table under ${d.heading}`).toBeGreaterThan(0)
      const expected = d.byTag ? type.tags.map((t) => t.tag) : type.properties.map((p) => p.name)
      expect(expected.length).toBeGreaterThan(0)
      expect(rows.map((r) => r.key).sort()).toEqual([...expected].sort())
    },
  )

  it.each(documented.filter((d) => d.byTag).map((d) => [`${d.module} ${d.name}`, d] as const))(
    'names the fields of each %s',
    (_, d) => {
      const { header, rows } = table(d.heading)
      expect(header).toContain('fields')
      for (const { tag, fields } of types.get(`${d.module}.${d.name}`)!.tags) {
        const row = rows.find((r) => r.key === tag)!
        const named = codeWords(row.cells[header.indexOf('fields')] ?? '')
        expect([...named].sort(), tag).toEqual([...fields].sort())
      }
    },
  )

  const withRows = documented
    .filter((d) => !d.byTag)
    .flatMap((d) =>
      types
        .get(`${d.module}.${d.name}`)!
        .properties.map((p) => [`${d.name}.${p.name}`, d, p] as [string, Documented, PublicProperty]),
    )

  it.each(withRows)('states the code of %s: its default, its string values, its arguments', (_, d, p) => {
    const { header, rows } = table(d.heading)
    const row = rows.find((r) => r.key === p.name)
    if (row === undefined) return expect.fail(`no row for ${p.name} under ${d.heading}`)
    const words = codeWords(row.line)
    for (const literal of p.literals)
      expect(
        codeSpans(row.line).some((s) => unquoted(s) === literal || s.includes(`'${literal}'`)),
        `${p.name} may be '${literal}'`,
      ).toBe(true)
    for (const parameter of p.parameters) expect(words, `${p.name} takes ${parameter}`).toContain(parameter)
    const defaultCell = row.cells[header.indexOf('default')]
    if (d.defaults !== undefined && Object.hasOwn(d.defaults, p.name)) {
      expect(defaultCell, `a default column under ${d.heading}`).toBeDefined()
      const stated = codeSpans(defaultCell!)[0]
      expect(stated, `the default of ${p.name} written as code`).toBeDefined()
      expect(JSON.parse(stated!), `the default of ${p.name}`).toEqual(d.defaults[p.name])
    }
    if (p.documentedDefault !== undefined)
      expect((defaultCell ?? row.line).replace(/`/g, ''), `the default its TSDoc states`).toContain(
        p.documentedDefault.replace(/`/g, ''),
      )
  })

  it('names in its table of entry points only what each package exports', () => {
    const rows = table('## Entry points').rows.filter((r) => /^`@smtpure\/(core|driver|node)`$/.test(r.cells[0]!))
    expect(rows).toHaveLength(3)
    const exports = moduleExports(
      workspaceRoot,
      rows.map((r) => r.key),
    )
    for (const row of rows) {
      const named = codeSpans(row.cells[1]!).flatMap((c) => /^([A-Za-z]\w*)(?:\(.*\))?$/.exec(c)?.[1] ?? [])
      expect(named.length).toBeGreaterThan(3)
      expect(
        named.filter((n) => !exports.get(row.key)!.has(n)),
        row.key,
      ).toEqual([])
    }
  })

  it('documents a type in every table (or says the section has none)', () => {
    const headings = page.split('\n').filter((l) => /^#{1,6} /.test(l))
    const withTables = headings.filter((h) => section(h).some((l) => l.startsWith('|')))
    const known = new Set([...documented.map((d) => d.heading), ...untyped])
    expect(withTables.filter((h) => !known.has(h))).toEqual([])
    // and one table per section, so that no second table goes unchecked under a checked heading
    for (const h of withTables) {
      const separators = section(h).filter((l) => /^\|(?: *:?-+:? *\|)+$/.test(l))
      expect(separators.length, h).toBe(1)
    }
  })
})

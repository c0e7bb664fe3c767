// docs/logging.md lists exactly the events the code writes (the lists every event name is typed
// against), and shows the transcript's redaction and content lines as the code writes them.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { REDACTED, Transcript, clientEvents, serverEvents } from '../src/index.js'

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')

/** The event names in the first column of the table under `heading`. */
const tableEvents = (doc: string, heading: string): string[] => {
  const section = doc.slice(doc.indexOf(heading)).split(/\n## /)[0]!
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => /^\| `([a-z-]+)`/.exec(l)![1]!)
}

describe('docs/logging.md', () => {
  const doc = read('docs/logging.md')
  it('lists every server event, and no other', () => {
    expect(tableEvents(doc, '## Server events').sort()).toEqual([...serverEvents].sort())
  })
  it('lists every client event, and no other', () => {
    expect(tableEvents(doc, '## Client events').sort()).toEqual([...clientEvents].sort())
  })
  it('docs/node.md names only server events', () => {
    const names = tableEvents(read('docs/node.md'), '## Logging')
    expect(names.length).toBeGreaterThan(5)
    expect(names.filter((n) => !(serverEvents as ReadonlyArray<string>).includes(n))).toEqual([])
  })
  it('shows the redaction and the content line as they are written', () => {
    const lines: string[] = []
    const t = new Transcript((dir, line) => lines.push(`${dir}: ${line}`))
    t.server(new TextEncoder().encode('220 mx.example ESMTP\r\n'))
    t.client(new TextEncoder().encode('AUTH PLAIN AGEAYg==\r\n'))
    t.server(new TextEncoder().encode('235 2.7.0 Authentication successful\r\n'))
    t.client(new TextEncoder().encode('DATA\r\n'))
    t.server(new TextEncoder().encode('354 End data with <CR><LF>.<CR><LF>\r\n'))
    t.client(new TextEncoder().encode(`${'x'.repeat(51)}\r\n.\r\n`))
    expect(lines).toContain('C: AUTH PLAIN ***')
    expect(doc).toContain(`\`${REDACTED}\``)
    for (const line of lines) expect(doc).toContain(`\n${line}\n`)
  })
})

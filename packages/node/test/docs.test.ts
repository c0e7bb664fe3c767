// docs/node.md shows the example files as they are (the examples are type-checked by npm test).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

describe('docs/node.md', () => {
  it.each(['server.ts', 'client.ts'])('shows examples/%s verbatim', (file) => {
    expect(read('../../../docs/node.md')).toContain('```ts\n' + read(`../examples/${file}`) + '```')
  })
})

describe('docs/node.md, "What hooks know"', () => {
  it('lists every field of SessionInfo (packages/driver/src/hooks.ts), and no other', () => {
    const hooks = read('../../driver/src/hooks.ts')
    const body = hooks.slice(hooks.indexOf('export interface SessionInfo {'))
    const fields = [...body.slice(0, body.indexOf('\n}')).matchAll(/^ {2}readonly (\w+)\??:/gm)].map((m) => m[1])
    const doc = read('../../../docs/node.md')
    const section = doc.slice(doc.indexOf('## What hooks know'), doc.indexOf('## A client'))
    const rows = section.split('\n').filter((l) => /^\| `/.test(l))
    const listed = rows.flatMap((r) => [...r.split('|')[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]))
    expect(fields.length).toBeGreaterThan(10)
    expect(listed.sort()).toEqual(fields.sort())
  })
})

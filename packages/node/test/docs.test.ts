// docs/node.md shows the example files as they are (the examples are type-checked by npm test).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

describe('docs/node.md', () => {
  it.each(['server.ts', 'client.ts'])('shows examples/%s verbatim', (file) => {
    expect(read('../../../docs/node.md')).toContain('```ts\n' + read(`../examples/${file}`) + '```')
  })
})

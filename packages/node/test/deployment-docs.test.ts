// docs/deployment.md shows examples/cluster.ts as it is (the example is type-checked by npm test).
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

describe('docs/deployment.md', () => {
  it('shows examples/cluster.ts verbatim', () => {
    expect(read('../../../docs/deployment.md')).toContain('```ts\n' + read('../examples/cluster.ts') + '```')
  })
})

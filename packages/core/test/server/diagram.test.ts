import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { renderStateDiagram } from '../../src/server/diagram.js'
import { transitions } from '../../src/server/sequencing.js'

describe('diagram', () => {
  it('docs/architecture.md shows the diagram rendered from the current transition table', () => {
    const doc = readFileSync(new URL('../../../../docs/architecture.md', import.meta.url), 'utf8')
    expect(doc).toContain(`\`\`\`mermaid\n${renderStateDiagram()}\n\`\`\``)
  })
  it('every verb a phase accepts appears on an edge out of that phase', () => {
    const diagram = renderStateDiagram()
    for (const [phase, verbs] of Object.entries(transitions))
      for (const verb of Object.keys(verbs))
        expect(diagram).toMatch(new RegExp(`^  ${phase} --> \\S+: .*\\b${verb}\\b`, 'm'))
  })
})

// Writes the server state diagram, rendered from the sequencing table, into docs/architecture.md.
import { readFileSync, writeFileSync } from 'node:fs'
import { renderStateDiagram } from '../src/server/diagram.js'

const path = new URL('../../../docs/architecture.md', import.meta.url)
const start = '<!-- state-diagram:start -->'
const end = '<!-- state-diagram:end -->'
const doc = readFileSync(path, 'utf8')
const before = doc.slice(0, doc.indexOf(start) + start.length)
const after = doc.slice(doc.indexOf(end))
writeFileSync(path, `${before}\n\`\`\`mermaid\n${renderStateDiagram()}\n\`\`\`\n${after}`)

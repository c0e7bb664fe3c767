// Renders the sequencing table (sequencing.ts) as a Mermaid state diagram, so the picture in
// docs/architecture.md is drawn from the code and a test can tell when the two disagree.
import { type CommandPhase, type Target, transitions, type Verb } from './sequencing.js'

// The phases that are not command phases, and where they go when they are done.
const streams: ReadonlyArray<readonly [Target, string, Target]> = [
  ['Data', 'CRLF.CRLF, answer', 'Idle'],
  ['Bdat', 'chunk read', 'Envelope'],
  ['Bdat', 'LAST chunk, answer', 'Idle'],
  ['Sasl', 'exchange done, answer', 'Idle'],
  ['TlsWait', 'TlsStarted', 'AwaitHello'],
]

/**
 * The server session's state diagram in Mermaid syntax.
 * @example
 * const mermaid = renderStateDiagram()
 */
export const renderStateDiagram = (): string => {
  const lines = ['stateDiagram-v2', '  [*] --> AwaitHello: 220', '  [*] --> Refused: 554']
  for (const phase of Object.keys(transitions) as CommandPhase[]) {
    const byTarget = new Map<string, Verb[]>()
    for (const [verb, target] of Object.entries(transitions[phase]) as Array<[Verb, Target | 'same']>) {
      const to = target === 'same' ? phase : target
      byTarget.set(to, [...(byTarget.get(to) ?? []), verb])
    }
    for (const [to, verbs] of byTarget) lines.push(`  ${phase} --> ${to === 'Closed' ? '[*]' : to}: ${verbs.join(' ')}`)
  }
  for (const [from, label, to] of streams) lines.push(`  ${from} --> ${to}: ${label}`)
  return lines.join('\n')
}

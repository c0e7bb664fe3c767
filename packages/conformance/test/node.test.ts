// The conformance suite on Node, with vitest, against @smtpure/node.
import { describe, it } from 'vitest'
import * as node from '@smtpure/node'
import { conformanceCases } from '../src/index.ts'

describe('@smtpure/node conformance', () => {
  for (const c of conformanceCases({ name: 'node', ...node })) it(c.name, c.run)
})

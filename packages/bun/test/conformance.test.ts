// The conformance suite on Bun, with bun test, against @smtpure/bun.
import { describe, it } from 'bun:test'
import { conformanceCases } from '@smtpure/conformance'
import * as bun from '../src/index.ts'

describe('@smtpure/bun conformance', () => {
  for (const c of conformanceCases({ name: 'bun', ...bun })) it(c.name, c.run, 180_000)
})

// The adapter conformance suite, written once: every case runs an adapter's server against its own
// client or a raw peer over real sockets. Node (vitest), Bun (bun test) and Deno (deno test) each
// turn the cases into tests of their runner (test/node.test.ts, packages/bun/test, packages/deno/test).
import type { Adapter, Case } from './harness.ts'
import { deadlineCases } from './deadlines.ts'
import { factCases } from './facts.ts'
import { loadCases } from './load.ts'
import { optionCases } from './options.ts'
import { protocolCases } from './protocol.ts'

export type { Adapter, Case } from './harness.ts'

/** Every case, for one adapter. */
export const conformanceCases = (adapter: Adapter): ReadonlyArray<Case> => [
  ...protocolCases(adapter),
  ...factCases(adapter),
  ...loadCases(adapter),
  ...optionCases(adapter),
  ...deadlineCases(adapter),
]

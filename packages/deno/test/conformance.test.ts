// The conformance suite on Deno, with deno test, against @smtpure/deno.
import { conformanceCases } from '@smtpure/conformance'
import * as deno from '../src/index.ts'
import { unrefTimeout } from '../src/runtime.ts'

/** Deno.test has no time limit of its own: a case that hangs fails after a minute. */
const limited = (run: () => Promise<void>) => async (): Promise<void> => {
  let cancel = (): void => undefined
  const expired = new Promise<never>((_, reject) => {
    cancel = unrefTimeout(() => reject(new Error('timed out after 60 s')), 60000)
  })
  try {
    await Promise.race([run(), expired])
  } finally {
    cancel()
  }
}

for (const c of conformanceCases({ name: 'deno', ...deno }))
  Deno.test({
    name: `@smtpure/deno conformance > ${c.name}`,
    fn: limited(c.run),
    // a case's sockets may outlive it by a moment (a FIN on its way); each case checks its own
    sanitizeOps: false,
    sanitizeResources: false,
  })

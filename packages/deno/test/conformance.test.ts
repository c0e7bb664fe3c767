// The conformance suite on Deno, with deno test, against @smtpure/deno.
import { conformanceCases } from '@smtpure/conformance'
import * as deno from '../src/index.ts'

/**
 * Deno.test has no time limit of its own: a case that hangs fails after three minutes, far beyond what the
 * slowest case takes while every package's suite runs at once on two cores. The timer is not unref'd, so it
 * also keeps the event loop alive while a case waits on a socket to close.
 */
const limited = (run: () => Promise<void>) => async (): Promise<void> => {
  let cancel = (): void => undefined
  const expired = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out after 180 s')), 180_000)
    cancel = () => clearTimeout(timer)
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

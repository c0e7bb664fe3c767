// Timers, randomness and the clock on Node, for the driver.
import { randomBytes } from 'node:crypto'
import type { Runtime } from '@smtpure/driver'

export const nodeRuntime: Runtime = {
  setTimer: (ms, fire) => {
    const t = setTimeout(fire, ms)
    t.unref()
    return () => clearTimeout(t)
  },
  randomToken: () => randomBytes(9).toString('base64url'),
  now: () => ({ epochMs: Date.now(), offsetMinutes: -new Date().getTimezoneOffset() }),
}

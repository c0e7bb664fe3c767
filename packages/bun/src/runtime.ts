// Timers, randomness and the clock on Bun, for the driver.
import type { Runtime } from '@smtpure/driver'

/** Timers (unref'd: they never keep the process alive), Web Crypto tokens and the clock on Bun. */
export const bunRuntime: Runtime = {
  setTimer: (ms, fire) => {
    const t = setTimeout(fire, ms)
    t.unref()
    return () => clearTimeout(t)
  },
  randomToken: () => Buffer.from(crypto.getRandomValues(new Uint8Array(9))).toString('base64url'),
  now: () => ({ epochMs: Date.now(), offsetMinutes: -new Date().getTimezoneOffset() }),
}

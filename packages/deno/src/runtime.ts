// Timers, randomness and the clock on Deno, for the driver.
import type { Runtime } from '@smtpure/driver'

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

/**
 * A timer that does not keep the process alive. Deno 2.9 returns a Node-style timer object with
 * `unref`; older releases return a number for `Deno.unrefTimer`.
 */
export const unrefTimeout = (fire: () => void, ms: number): (() => void) => {
  const t: unknown = setTimeout(fire, ms)
  if (typeof t === 'number') Deno.unrefTimer(t)
  else (t as { unref?: () => void }).unref?.()
  return () => clearTimeout(t as number)
}

/** Timers (unref'd: they never keep the process alive), Web Crypto tokens and the clock on Deno. */
export const denoRuntime: Runtime = {
  setTimer: (ms, fire) => unrefTimeout(fire, ms),
  randomToken: () => base64url(crypto.getRandomValues(new Uint8Array(9))),
  now: () => ({ epochMs: Date.now(), offsetMinutes: -new Date().getTimezoneOffset() }),
}

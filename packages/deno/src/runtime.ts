// Timers, randomness and the clock on Deno, for the driver.
import type { Runtime } from '@smtpure/driver'

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

export const denoRuntime: Runtime = {
  setTimer: (ms, fire) => {
    const id = Number(setTimeout(fire, ms)) // a number on Deno; Number() also satisfies Node's types
    Deno.unrefTimer(id)
    return () => clearTimeout(id)
  },
  randomToken: () => base64url(crypto.getRandomValues(new Uint8Array(9))),
  now: () => ({ epochMs: Date.now(), offsetMinutes: -new Date().getTimezoneOffset() }),
}

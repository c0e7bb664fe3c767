// Waiting for what the store does in the background. A test waits for the thing itself (files in a folder, a
// count of steps, a descriptor closed), polled, never for a fixed number of milliseconds: on a loaded machine
// the work takes longer, and the wait with it.

/** How long `until` waits by default before it gives up: far past anything a working store takes. */
const PATIENCE_MS = 10_000

/**
 * Resolve once `ready()` is true, checking at once and then every 5 ms. After `ms` it rejects with an Error
 * that names `what` was awaited and, when given, what `seen()` returned at the last check.
 */
export const until = async (
  what: string,
  ready: () => boolean,
  seen?: () => unknown,
  ms: number = PATIENCE_MS,
): Promise<void> => {
  for (const end = Date.now() + ms; ; await new Promise((r) => setTimeout(r, 5))) {
    if (ready()) return
    if (Date.now() >= end)
      throw new Error(
        `waited ${ms} ms for ${what}, in vain` + (seen === undefined ? '' : `; last seen: ${JSON.stringify(seen())}`),
      )
  }
}

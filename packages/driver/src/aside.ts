// Application code whose result nobody waits for (`onClose`, `onError`): run so that neither its throw nor its
// promise's rejection can escape, since an unhandled rejection ends a Node process, and a throw would unwind the
// driver in the middle of closing a session.

const ignore = (): void => undefined

/** Call `f`; what it throws, or what the promise it returns rejects with, goes to `report`. Never throws. */
export const aside = (f: () => unknown, report: (e: unknown) => void): void => {
  try {
    const r = f()
    if (typeof r === 'object' && r !== null && typeof (r as PromiseLike<unknown>).then === 'function')
      (r as PromiseLike<unknown>).then(undefined, report)
  } catch (e) {
    report(e)
  }
}

/**
 * `onError` made safe to call from anywhere: what it throws or rejects with is dropped, since there is no one left
 * to tell. Without an `onError`, errors are dropped too.
 */
export const reporter =
  (onError: ((error: unknown) => void) | undefined): ((error: unknown) => void) =>
  (e) => {
    if (onError !== undefined) aside(() => onError(e), ignore)
  }

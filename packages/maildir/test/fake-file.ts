// A StoreFile over a real file (so that the store's renames and removals act on it) that keeps a ledger of
// what the store did with it, and lets a test delay or fail each step.
import { readFileSync, readdirSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import fc from 'fast-check'
import type { StoreFile } from '../src/index.js'

export type Step = 'open' | 'writev' | 'sync' | 'close'

/**
 * What a test does to one step: nothing, a failure with this `code` (thrown at once or as a rejection), or, for
 * writev alone, a short count (at most this many octets taken; 0 is a write that makes no progress).
 */
export type Fault =
  undefined | { readonly fail: 'throw' | 'reject'; readonly code?: string } | { readonly short: number }

export interface Ledger {
  /** Files open now, and the most ever open at once. */
  open: number
  most: number
  /** Writes and syncs under way now, across every file: 0 once none is left running in the background. */
  running: number
  /** Every file opened, by path, and how often each was closed. */
  readonly closes: Map<string, number>
  /** Wrong things seen: a step on a closed file, a close while a step still ran, a second close. */
  readonly wrong: string[]
  /** Every step in the order it started, as `step path`. */
  readonly steps: string[]
  /** Called as each writev or sync of a file ends well, with the file's path. */
  done?: (step: Step, path: string) => void
  /**
   * Settles once every descriptor whose close threw at once is given back. The store cannot wait for those (the
   * close told it nothing more), so a count of open files taken right after a delivery may still hold them.
   */
  released: () => Promise<void>
}

export interface FakeOptions {
  /** Files that write through (no sync needed), as the default file opened with O_DSYNC. */
  readonly synced?: boolean
  /** Before each step: a delay, or anything else to do (abort a delivery, say). */
  readonly before?: (step: Step, path: string) => Promise<void> | void
  /** The fault for the nth step of its kind (from 0) across every file. */
  readonly fault?: (step: Step, path: string, nth: number) => Fault
}

const injected = (code = 'EIO'): Error => Object.assign(new Error(`injected ${code}`), { code })

/** An `openFile` for `new Maildir(root, { openFile })`, and its ledger. */
export const fakeFiles = (options: FakeOptions = {}) => {
  const releasing = new Set<Promise<unknown>>()
  const ledger: Ledger = {
    open: 0,
    most: 0,
    running: 0,
    closes: new Map(),
    wrong: [],
    steps: [],
    released: () => Promise.allSettled([...releasing]).then(() => undefined),
  }
  const counts: Record<Step, number> = { open: 0, writev: 0, sync: 0, close: 0 }
  const fault = (step: Step, path: string): Fault => options.fault?.(step, path, counts[step]++)

  /** Like a wrapper that checks before it returns a promise, a fault `throw` throws at once. */
  const openFile = (path: string): Promise<StoreFile> => {
    ledger.steps.push(`open ${path}`)
    const f = fault('open', path)
    if (f !== undefined && 'fail' in f && f.fail === 'throw') throw injected(f.code)
    return opened(path, f)
  }

  const opened = async (path: string, f: Fault): Promise<StoreFile> => {
    await options.before?.('open', path)
    if (f !== undefined && 'fail' in f) throw injected(f.code)
    const handle = await open(path, 'wx', 0o600)
    ledger.open += 1
    ledger.most = Math.max(ledger.most, ledger.open)
    ledger.closes.set(path, 0)
    let closed = false
    let running = 0
    const name = path.split('/').slice(-3).join('/') // folder, tmp, file

    /** Run one step: its fault, its delay, then `body`; noting any use of a closed file. */
    const step = <T>(kind: Exclude<Step, 'open'>, body: (f: Fault) => Promise<T>): Promise<T> => {
      ledger.steps.push(`${kind} ${path}`)
      if (closed) ledger.wrong.push(`${kind} after close ${name}`)
      const f = fault(kind, path)
      if (f !== undefined && 'fail' in f && f.fail === 'throw') throw injected(f.code)
      running += 1
      ledger.running += 1
      const run = async (): Promise<T> => {
        try {
          await options.before?.(kind, path)
          if (f !== undefined && 'fail' in f) throw injected(f.code)
          const value = await body(f)
          ledger.done?.(kind, path)
          return value
        } finally {
          running -= 1
          ledger.running -= 1
        }
      }
      return run()
    }

    return {
      ...(options.synced !== undefined ? { synced: options.synced } : {}),
      writev: (buffers) =>
        step('writev', async (f) => {
          let take = buffers.reduce((n, b) => n + b.length, 0)
          if (f !== undefined && 'short' in f) take = Math.min(take, f.short)
          if (take === 0) return 0
          const parts: Uint8Array[] = []
          let left = take
          for (const b of buffers) {
            if (left === 0) break
            parts.push(b.subarray(0, left))
            left -= Math.min(left, b.length)
          }
          return (await handle.writev(parts)).bytesWritten
        }),
      sync: () => step('sync', () => handle.sync()),
      close: () => {
        ledger.steps.push(`close ${path}`)
        ledger.closes.set(path, (ledger.closes.get(path) ?? 0) + 1)
        if (closed) ledger.wrong.push(`closed twice ${name}`)
        if (running > 0) ledger.wrong.push(`closed under a running step ${name}`)
        const first = !closed
        closed = true
        const f = fault('close', path)
        // the descriptor is given back whatever the close reports, as close(2) does; it counts as open till then
        const done = first
          ? Promise.resolve(options.before?.('close', path))
              .then(() => handle.close())
              .finally(() => (ledger.open -= 1))
          : Promise.resolve()
        if (f !== undefined && 'fail' in f) {
          void done.catch(() => undefined)
          if (f.fail === 'throw') {
            releasing.add(done)
            throw injected(f.code)
          }
          return done.then(() => Promise.reject(injected(f.code)))
        }
        return done
      },
    }
  }
  return { openFile, ledger }
}

/** What each Maildir's new/ holds, file by file: one entry `[message]` per folder for a delivery that landed once. */
export const newFiles = (dirs: ReadonlyArray<string>): Buffer[][] =>
  dirs.map((d) => readdirSync(join(d, 'new')).map((name) => readFileSync(join(d, 'new', name))))

/**
 * The message a property delivers: how many copies (recipients), whether the files write through (O_DSYNC),
 * the store's `flushOctets`, and the message's chunks. Spread into `fc.asyncProperty`.
 */
export const deliveryShape = [
  fc.integer({ min: 1, max: 4 }),
  fc.boolean(),
  fc.integer({ min: 1, max: 40 }),
  fc.array(fc.uint8Array({ minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 4 }),
] as const

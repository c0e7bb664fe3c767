// A file is closed only once nothing more is done with it: when one copy of a message fails, the writes and
// syncs still running on the other copies settle before their files are closed (a descriptor closed under a
// running write may be reused by the next open, and the write would land in another message). And the
// store's close leaves no folder handle open, even when deliveries are still running.
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Maildir, StoreError, type StoreFile } from '../src/index.js'
import { until } from './wait.js'

const scratch = (): string => mkdtempSync(join(tmpdir(), 'smtpure-maildir-settle-'))
async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Descriptors this process holds on paths under `root` (Linux: /proc/self/fd). */
const openUnder = (root: string): string[] =>
  readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`)
      } catch {
        return ''
      }
    })
    .filter((target) => target.startsWith(root))

/**
 * A store whose file for `bad@` fails `step` at once while the other files take 100 ms for the same step;
 * `late` lists the steps that ran on a file already closed, `slowSteps` counts the slow steps begun and ended.
 */
const failing = (root: string, step: 'writev' | 'sync', thrown = false) => {
  const late: string[] = []
  const slowSteps = { begun: 0, ended: 0 }
  const store = new Maildir(root, {
    openFile: (path: string): Promise<StoreFile> => {
      let closed = false
      const bad = path.includes('bad@')
      const slow = async <T>(name: string, value: T): Promise<T> => {
        if (bad && name === step) throw Object.assign(new Error('injected'), { code: 'EIO' })
        if (name === step) {
          slowSteps.begun += 1
          await sleep(100)
          slowSteps.ended += 1
        }
        if (closed) late.push(name)
        return value
      }
      return Promise.resolve({
        synced: false,
        writev: (buffers) =>
          slow(
            'writev',
            buffers.reduce((n, b) => n + b.length, 0),
          ),
        sync: () => {
          // a wrapper may throw before it returns a promise at all
          if (thrown && bad) throw Object.assign(new Error('injected'), { code: 'EIO' })
          return slow('sync', undefined)
        },
        close: () => {
          closed = true
          return Promise.resolve()
        },
      })
    },
  })
  return { store, late, slowSteps }
}

/** Wait until every slow step begun has ended (a step on a closed file is in `late` by then). */
const slowStepsEnded = (slowSteps: { begun: number; ended: number }): Promise<void> =>
  until(
    'the slow steps to end',
    () => slowSteps.ended === slowSteps.begun,
    () => slowSteps,
  )

describe('a copy that fails does not close the others under their running steps', () => {
  it.each(['writev', 'sync'] as const)(
    'a failed %s: the other copies finish it before they are closed',
    async (step) => {
      const root = scratch()
      const { store, late, slowSteps } = failing(root, step)
      const targets = ['bad@x.example', 'r1@x.example', 'r2@x.example'].map((address) => ({ address, head }))
      await expect(store.begin(targets).writeAll(chunks(body))).rejects.toBeInstanceOf(StoreError)
      await slowStepsEnded(slowSteps)
      expect(slowSteps.begun).toBe(2) // the two good copies' steps were running when the bad one failed
      expect(late).toEqual([])
      await store.close()
      rmSync(root, { recursive: true })
    },
  )
})

describe('a copy whose sync throws at once', () => {
  it('does not close the other copies under their running syncs', async () => {
    const root = scratch()
    const { store, late, slowSteps } = failing(root, 'sync', true)
    // the failing copy comes last, so the others' syncs are running when it throws
    const targets = ['r1@x.example', 'r2@x.example', 'bad@x.example'].map((address) => ({ address, head }))
    await expect(store.begin(targets).writeAll(chunks(body))).rejects.toBeInstanceOf(StoreError)
    await slowStepsEnded(slowSteps)
    expect(slowSteps.begun).toBe(2)
    expect(late).toEqual([])
    await store.close()
    rmSync(root, { recursive: true })
  })
})

describe('a close that throws at once', () => {
  it('after the data is on disk, loses nothing: the message is delivered', async () => {
    const root = scratch()
    const real = new Maildir(root).openFile
    const store = new Maildir(root, {
      openFile: async (path: string): Promise<StoreFile> => {
        const file = await real(path)
        return {
          ...(file.synced !== undefined ? { synced: file.synced } : {}),
          writev: (b) => file.writev(b),
          sync: () => file.sync(),
          close: () => {
            void file.close()
            throw Object.assign(new Error('injected'), { code: 'EIO' })
          },
        }
      },
    })
    await store.begin([{ address: 'r1@x.example', head }]).writeAll(chunks(body))
    expect(readdirSync(join(store.folder('r1@x.example'), 'new'))).toHaveLength(1)
    await store.close()
    rmSync(root, { recursive: true })
  })
})

describe('abort', () => {
  it('called while a write runs, closes the files once it has ended', async () => {
    const root = scratch()
    const { store, late, slowSteps } = failing(root, 'writev')
    const delivery = store.begin([{ address: 'r1@x.example', head }])
    const writing = delivery.write(new Uint8Array(300 * 1024)).catch(() => undefined) // past flushOctets: written now
    // the poll's next check is due before the 100 ms write ends, so abort() comes while it runs however slow the
    // machine (timers fire in the order they are due)
    await until(
      'the write to begin',
      () => slowSteps.begun === 1,
      () => slowSteps,
    )
    expect(slowSteps.ended).toBe(0) // the abort below comes while the write runs
    await delivery.abort()
    await writing
    await slowStepsEnded(slowSteps)
    expect(late).toEqual([])
    expect(readdirSync(join(store.folder('r1@x.example'), 'tmp'))).toEqual([])
    await store.close()
    rmSync(root, { recursive: true })
  })
})

describe('close', () => {
  it('leaves no folder handle open when deliveries were still running', async () => {
    const root = scratch()
    const store = new Maildir(root, { workerCopies: 8 })
    const targets = Array.from({ length: 8 }, (_, i) => ({ address: `r${i}@x.example`, head }))
    const running = Array.from({ length: 8 }, () => store.begin(targets).writeAll(chunks(body)))
    await sleep(0) // they are under way (how far does not matter)
    await store.close()
    await Promise.allSettled(running)
    // the one delivery that ran on the worker (eight copies) leaves it to close its folder handles as it stops,
    // in the background: wait for the descriptors to go (one that leaks stays, and fails this after 10 s)
    await until(
      'no descriptor left open under the root',
      () => openUnder(root).length === 0,
      () => openUnder(root),
    )
    expect(openUnder(root)).toEqual([])
    rmSync(root, { recursive: true })
  })
})

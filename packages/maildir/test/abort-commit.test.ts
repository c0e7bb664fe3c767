// abort() while a commit runs, or before it: an abort that comes before the commit has delivered takes the
// message back (commit rejects with DeliveryAbortedError, nothing stays in new/ or tmp/), no file is closed
// while a write or sync still runs on it, and a commit after abort() is never a 250.
import { readdirSync, rmSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DeliveryAbortedError, Maildir, type MaildirDelivery } from '../src/index.js'
import { fakeFiles } from './fake-file.js'
import { body, count, head, outcome, scratch, targets } from './three-copies.js'
import { until } from './wait.js'

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

describe('abort() while commit runs (no signal)', () => {
  it('during the new/ syncs, after every rename: the copies come back out and commit rejects', async () => {
    const root = scratch('abort-commit')
    const store = new Maildir(root)
    await store.begin(targets).writeAll(chunks(body)) // the folders exist, one message each
    const d = store.begin(targets)
    let aborted: Promise<void> | undefined
    const sync = store.folders.sync.bind(store.folders)
    store.folders.sync = (dir: string) => {
      if (dir.endsWith('new')) aborted ??= d.abort()
      return sync(dir)
    }
    await d.write(body)
    const committed = outcome(d.commit())
    await aborted
    expect(await committed).toBeInstanceOf(DeliveryAbortedError)
    expect(count(store, 'new')).toEqual([1, 1, 1])
    expect(count(store, 'tmp')).toEqual([0, 0, 0])
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('during the copies syncs (files without O_DSYNC): no file is closed under its sync, nothing delivered', async () => {
    const root = scratch('abort-commit')
    const the: { d?: MaildirDelivery } = {}
    let aborted: Promise<void> | undefined
    const { openFile, ledger } = fakeFiles({
      synced: false,
      before: async (step) => {
        if (step !== 'sync') return
        aborted ??= the.d!.abort()
        await sleep(50) // a slow sync: a file closed under it would show in the ledger
      },
    })
    const store = new Maildir(root, { openFile })
    const d = (the.d = store.begin(targets))
    await d.write(body)
    const result = await outcome(d.commit())
    await aborted // called as the first sync began, so set by now
    await until(
      'every sync to end',
      () => ledger.running === 0,
      () => ledger.steps,
    )
    expect(aborted).toBeDefined()
    expect(ledger.wrong).toEqual([])
    expect(result).toBeInstanceOf(DeliveryAbortedError)
    expect(count(store, 'new')).toEqual([0, 0, 0])
    expect(count(store, 'tmp')).toEqual([0, 0, 0])
    expect([...ledger.closes.values()]).toEqual([1, 1, 1])
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('once abort() has resolved, the commit has settled: it never delivers after', async () => {
    const root = scratch('abort-commit')
    const { openFile, ledger } = fakeFiles({
      synced: false,
      before: (step) => (step === 'sync' ? sleep(30) : undefined),
    })
    const store = new Maildir(root, { openFile })
    const d = store.begin(targets)
    await d.write(body)
    let settled = false
    const committed = outcome(d.commit()).finally(() => (settled = true))
    // the poll's next check is due before the 30 ms syncs end, so abort() comes while they run however slow the
    // machine (timers fire in the order they are due)
    await until(
      'a sync to start',
      () => ledger.steps.some((s) => s.startsWith('sync ')),
      () => ledger.steps,
    )
    expect(ledger.running).toBeGreaterThan(0) // the abort below comes while the syncs run
    await d.abort()
    expect(settled).toBe(true)
    expect(await committed).toBeInstanceOf(DeliveryAbortedError)
    expect(count(store, 'new')).toEqual([0, 0, 0])
    await store.close()
    rmSync(root, { recursive: true })
  })
})

describe('commit after abort()', () => {
  it('commit after abort() rejects: it is not a 250 for a message written nowhere', async () => {
    const root = scratch('abort-commit')
    const store = new Maildir(root)
    const d = store.begin(targets)
    await d.write(body)
    await d.abort()
    expect(await outcome(d.commit())).toBeInstanceOf(DeliveryAbortedError)
    expect(count(store, 'new')).toEqual([0, 0, 0])
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('commit after abort() while the message waited for its turn rejects too', async () => {
    const root = scratch('abort-commit')
    const store = new Maildir(root, { openFiles: 1 })
    const first = store.begin([{ address: 'a@x.example', head }])
    const d = store.begin([{ address: 'b@x.example', head }]) // waits: `first` holds the only file
    await d.abort()
    expect(await outcome(d.commit())).toBeInstanceOf(DeliveryAbortedError)
    await first.writeAll(chunks(body))
    expect(readdirSync(root)).not.toContain('b@x.example')
    await store.close()
    rmSync(root, { recursive: true })
  })
})

describe('abort() and writes', () => {
  it('write after abort() is refused, and writes nothing', async () => {
    const root = scratch('abort-commit')
    const { openFile, ledger } = fakeFiles()
    const store = new Maildir(root, { openFile, flushOctets: 1 })
    const d = store.begin(targets)
    await d.write(body)
    await d.abort()
    expect(await outcome(d.write(body))).toBeInstanceOf(DeliveryAbortedError)
    expect(ledger.wrong).toEqual([])
    expect(count(store, 'tmp')).toEqual([0, 0, 0])
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('abort() called twice at once: each resolves only once every file is closed', async () => {
    const root = scratch('abort-commit')
    const { openFile, ledger } = fakeFiles({ before: (step) => (step === 'close' ? sleep(30) : undefined) })
    const store = new Maildir(root, { openFile })
    const d = store.begin(targets)
    await d.write(body)
    const open: number[] = []
    await Promise.all([d.abort().then(() => open.push(ledger.open)), d.abort().then(() => open.push(ledger.open))])
    expect(open).toEqual([0, 0])
    await store.close()
    rmSync(root, { recursive: true })
  })
})

// A delivery is committed once: commit called again (at once, or after it failed) gets the first call's
// outcome, never a 250 for a message that was not delivered, and a write after commit is refused rather
// than dropped (a commit would otherwise say 250 for a message without those octets).
import { rmSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Maildir, StoreError } from '../src/index.js'
import { fakeFiles } from './fake-file.js'
import { body, count, head, outcome, scratch, targets } from './three-copies.js'

describe('a delivery that is over', () => {
  it('commit again after a failed commit rejects again (it delivered nothing)', async () => {
    const root = scratch('commit-once')
    // the writes succeed, one copy's sync fails: the failure is not in the chain of writes
    const { openFile } = fakeFiles({
      synced: false,
      fault: (step, path) => (step === 'sync' && path.includes('/b@') ? { fail: 'reject' } : undefined),
    })
    const store = new Maildir(root, { openFile })
    const d = store.begin(targets)
    await d.write(body)
    const first = await outcome(d.commit())
    expect(first).toBeInstanceOf(StoreError)
    expect(await outcome(d.commit())).toBeInstanceOf(Error)
    expect(await outcome(d.commit())).not.toBe('delivered')
    expect(count(store, 'new')).toEqual([0, 0, 0])
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('commit called twice at once delivers one copy per recipient and both calls agree', async () => {
    const root = scratch('commit-once')
    const { openFile, ledger } = fakeFiles({ synced: false })
    const store = new Maildir(root, { openFile })
    const d = store.begin(targets)
    await d.write(body)
    const both = await Promise.all([outcome(d.commit()), outcome(d.commit())])
    expect(both).toEqual(['delivered', 'delivered'])
    expect(count(store, 'new')).toEqual([1, 1, 1])
    expect(count(store, 'tmp')).toEqual([0, 0, 0])
    expect(ledger.wrong).toEqual([])
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('write after commit is refused: its octets could reach no file', async () => {
    const root = scratch('commit-once')
    const store = new Maildir(root, { flushOctets: 1 })
    const d = store.begin(targets)
    await d.write(body)
    await d.commit()
    await expect(d.write(body)).rejects.toThrow()
    expect(count(store, 'new')).toEqual([1, 1, 1])
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('write during commit is refused: commit does not say 250 for a message without it', async () => {
    const root = scratch('commit-once')
    const store = new Maildir(root)
    const d = store.begin(targets)
    await d.write(body)
    const committed = d.commit()
    const late = outcome(d.write(body))
    await committed
    expect(await late).toBeInstanceOf(Error)
    await store.close()
    rmSync(root, { recursive: true })
  })
})

describe('a write that fails', () => {
  it('closes and removes the files and gives back openFiles, even when the delivery is then dropped', async () => {
    const root = scratch('commit-once')
    const { openFile, ledger } = fakeFiles({
      fault: (step, path) => (step === 'writev' && path.includes('/b@') ? { fail: 'reject' } : undefined),
    })
    const store = new Maildir(root, { openFile, flushOctets: 1, openFiles: 3 })
    const d = store.begin(targets)
    await expect(d.write(body)).rejects.toBeInstanceOf(StoreError) // and no abort() after it
    // the files taken are given back: a message for as many recipients gets its turn and lands
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'stuck'>((r) => (timer = setTimeout(() => r('stuck'), 10000)))
    const next = store.begin(['x@x.example', 'y@x.example', 'z@x.example'].map((address) => ({ address, head })))
    expect(await Promise.race([next.commit().then(() => 'delivered'), deadline])).toBe('delivered')
    clearTimeout(timer)
    await ledger.released() // a close that threw gives its descriptor back on its own time
    expect(ledger.open).toBe(0)
    expect(ledger.wrong).toEqual([])
    expect(count(store, 'tmp')).toEqual([0, 0, 0])
    await store.close()
    rmSync(root, { recursive: true })
  })
})

// What the store keeps open and what it leaves behind: folder handles kept for syncs (least recently used
// closed first, at most `folderHandles`), file names shared by the copies of one message, and temporary files
// of a message whose opening failed part way.
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Maildir, StoreError, type StoreFile } from '../src/index.js'
import { until } from './wait.js'

const scratch = (): string => mkdtempSync(join(tmpdir(), 'smtpure-maildir-fd-'))
async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')
const deliver = (store: Maildir, ...addresses: string[]): Promise<void> =>
  store.begin(addresses.map((address) => ({ address, head }))).writeAll(chunks(body))

/** The new/ folders under `root` this process holds open (Linux: /proc/self/fd). */
const openInboxes = (root: string): string[] =>
  readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`)
      } catch {
        return '' // the descriptor readdir itself used, closed by now
      }
    })
    .filter((target) => target.startsWith(root) && target.endsWith('/new'))
    .map((target) => target.slice(root.length + 1, -'/new'.length))
    .sort()

describe('folder handles kept for syncing', () => {
  it('keeps one per new/ folder up to folderHandles, closing the least recently synced first', async () => {
    const root = scratch()
    const store = new Maildir(root, { folderHandles: 2 })
    // the first delivery into each folder syncs the folder and the root too; the syncs after it are new/ alone
    await deliver(store, 'a@x.example', 'b@x.example', 'c@x.example')
    await deliver(store, 'a@x.example')
    await deliver(store, 'b@x.example')
    await deliver(store, 'a@x.example') // a is now the most recently synced
    await deliver(store, 'c@x.example') // so b, not a, is closed
    // the close runs in the background: wait till no more than two are open, then see which two
    await until(
      'a new/ handle to be closed',
      () => openInboxes(root).length <= 2,
      () => openInboxes(root),
    )
    expect(openInboxes(root)).toEqual(['a@x.example', 'c@x.example'])
    await store.close()
    expect(openInboxes(root)).toEqual([])
    rmSync(root, { recursive: true })
  })

  it('by default a message for 100 recipients keeps all 100 open, so the next one opens none', async () => {
    const root = scratch()
    // the event loop's handles, which a message for many recipients uses once the worker is not (workerCopies)
    const store = new Maildir(root, { workerCopies: Infinity })
    const addresses = Array.from({ length: 100 }, (_, i) => `r${i}@x.example`)
    await deliver(store, ...addresses)
    await deliver(store, ...addresses)
    expect(openInboxes(root)).toHaveLength(100)
    await store.close()
    rmSync(root, { recursive: true })
  })
})

describe('options', () => {
  it.each([
    ['folderHandles', 0],
    ['folderHandles', Number.NaN],
    ['folderHandles', 2.5],
    ['flushOctets', -1],
  ])('%s %s is a RangeError that names it, not a store that never closes a handle', (name, value) => {
    expect(() => new Maildir(join(tmpdir(), 'smtpure-never-made'), { [name]: value })).toThrow(
      new RegExp(`Maildir option ${name} must be`),
    )
  })
})

describe('file names', () => {
  it('the same address given twice gets two copies with different names, not a failed exclusive open', async () => {
    const root = scratch()
    const store = new Maildir(root)
    await deliver(store, 'a@x.example', 'b@x.example', 'a@x.example')
    const a = readdirSync(join(store.folder('a@x.example'), 'new'))
    const b = readdirSync(join(store.folder('b@x.example'), 'new'))
    expect(a).toHaveLength(2)
    expect(b).toHaveLength(1)
    expect(a).toContain(b[0]) // copies in different folders share a name
    await store.close()
    rmSync(root, { recursive: true })
  })
})

describe('file names on a file system that ignores case and normalization', () => {
  it('addresses that differ only in case or Unicode form get different names, so no exclusive open fails', async () => {
    const root = scratch()
    const real = new Maildir(root).openFile
    // as on macOS or Windows: paths that fold to one are one file
    const opened = new Set<string>()
    const store = new Maildir(root, {
      openFile: (path: string): Promise<StoreFile> => {
        const key = path.normalize('NFD').toUpperCase().toLowerCase()
        if (opened.has(key)) return Promise.reject(Object.assign(new Error('exists'), { code: 'EEXIST' }))
        opened.add(key)
        return real(path)
      },
    })
    await deliver(
      store,
      'Bob@x.example',
      'bob@x.example',
      '\u00dcrs@x.example',
      'U\u0308rs@x.example',
      '\u00fcrs@x.example',
    )
    expect(opened.size).toBe(5)
    await store.close()
    rmSync(root, { recursive: true })
  })
})

describe('a message whose files fail to open part way', () => {
  it('leaves no file in any tmp/ and no descriptor open, even for the opens that finished after the failure', async () => {
    const root = scratch()
    let opened = 0
    const real = new Maildir(root).openFile
    const store = new Maildir(root, {
      openFile: async (path: string): Promise<StoreFile> => {
        if (path.includes('bad@')) throw Object.assign(new Error('injected'), { code: 'EIO' })
        // the others finish well after the failure was told (the store must wait for them however long they take)
        await new Promise((r) => setTimeout(r, 100))
        opened += 1
        return real(path)
      },
    })
    const addresses = ['bad@x.example', 'r1@x.example', 'r2@x.example']
    await expect(deliver(store, ...addresses)).rejects.toBeInstanceOf(StoreError)
    expect(opened).toBe(2)
    const left = addresses.flatMap((a) => readdirSync(join(store.folder(a), 'tmp')))
    expect(left).toEqual([])
    await store.close()
    rmSync(root, { recursive: true })
  })
})

// How many temporary files the store holds open at once (`openFiles`): a message takes the descriptors for
// all its copies in one go, in turn, so that under load deliveries wait for one another instead of failing
// with EMFILE (451 for every message once the process runs out of descriptors).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Maildir, type StoreFile } from '../src/index.js'

const scratch = (): string => mkdtempSync(join(tmpdir(), 'smtpure-maildir-open-'))
async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A store whose files count how many are open at once (`most`). */
const counting = (root: string, openFiles?: number) => {
  const seen = { open: 0, most: 0 }
  const real = new Maildir(root).openFile
  const store = new Maildir(root, {
    ...(openFiles !== undefined ? { openFiles } : {}),
    openFile: async (path: string): Promise<StoreFile> => {
      seen.open += 1
      seen.most = Math.max(seen.most, seen.open)
      const file = await real(path)
      await sleep(5) // slow enough that deliveries overlap
      return {
        ...(file.synced !== undefined ? { synced: file.synced } : {}),
        writev: (b) => file.writev(b),
        sync: () => file.sync(),
        close: () => {
          seen.open -= 1
          return file.close()
        },
      }
    },
  })
  return { store, seen }
}

const newFiles = (store: Maildir, addresses: string[]): number =>
  addresses.reduce((n, a) => n + readdirSync(join(store.folder(a), 'new')).length, 0)

describe('openFiles', () => {
  it('bounds the temporary files open at once; every message is delivered', async () => {
    const root = scratch()
    const { store, seen } = counting(root, 4)
    const addresses = ['a@x.example', 'b@x.example', 'c@x.example']
    const targets = addresses.map((address) => ({ address, head }))
    await Promise.all(Array.from({ length: 6 }, () => store.begin(targets).writeAll(chunks(body))))
    expect(seen.most).toBeLessThanOrEqual(4)
    expect(seen.open).toBe(0)
    expect(newFiles(store, addresses)).toBe(18)
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('a message for more recipients than openFiles takes them all and is delivered', async () => {
    const root = scratch()
    const { store, seen } = counting(root, 2)
    const addresses = Array.from({ length: 5 }, (_, i) => `r${i}@x.example`)
    const targets = addresses.map((address) => ({ address, head }))
    await Promise.all([store.begin(targets).writeAll(chunks(body)), store.begin(targets).writeAll(chunks(body))])
    expect(seen.most).toBe(5)
    expect(newFiles(store, addresses)).toBe(10)
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('a message called off while it waits for its turn opens nothing and frees nothing it did not take', async () => {
    const root = scratch()
    const { store, seen } = counting(root, 1)
    const first = store.begin([{ address: 'a@x.example', head }])
    const waiting = store.begin([{ address: 'b@x.example', head }])
    await waiting.abort() // returns at once, though `first` holds the only file
    await first.writeAll(chunks(body))
    await store.begin([{ address: 'c@x.example', head }]).writeAll(chunks(body))
    expect(seen.most).toBe(1)
    expect(newFiles(store, ['a@x.example', 'c@x.example'])).toBe(2)
    // a window for a late start of the aborted message (its folder made after all): a loaded machine can only
    // make such a start later, so that the test misses it, never fail a store that works
    await sleep(50)
    expect(readdirSync(root)).not.toContain('b@x.example') // never even made
    await store.close()
    rmSync(root, { recursive: true })
  })

  it.each([0, -1, 1.5, Number.NaN])('must be a whole number from 1 up: %s is a RangeError', (n) => {
    expect(() => new Maildir(scratch(), { openFiles: n })).toThrow(/openFiles/)
  })
})

// The store's promises (docs/security.md, "What a 250 means") under failures: a failed commit leaves
// nothing in any new/, and a folder removed behind the store's back is made again.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileSteps, Maildir, StoreError, type MaildirOptions } from '../src/index.js'

const scratch = (): string => mkdtempSync(join(tmpdir(), 'smtpure-maildir-rt-'))
async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')

// By default sixteen copies are renamed on the event loop while its steps are quick. On a worker (`workerCopies`)
// they are renamed in one batch that has ended before any answer comes back; in the thread pool each rename ends in
// its own time, so one may still run when another's failure is told.
const placements: ReadonlyArray<readonly [string, MaildirOptions]> = [
  ['by default', {}],
  ['on the worker thread', { workerCopies: 8 }],
  ['with the renames in the thread pool', { metadataSteps: new FileSteps({ inline: false }) }],
]

describe('a failed commit delivers nothing (docs/security.md: "copies already renamed are taken back out")', () => {
  it.each(placements)(
    'when one of many renames fails, no other recipient keeps a copy in new/ (%s)',
    async (_, options) => {
      const root = scratch()
      const store = new Maildir(root, options)
      const addresses = Array.from({ length: 16 }, (_, i) => `r${i}@x.example`)
      const targets = addresses.map((address) => ({ address, head }))
      await store.begin(targets).writeAll(chunks(body)) // every folder exists, with one message each
      // The first recipient's new/ is gone when the next message commits, so its rename fails with ENOENT.
      const delivery = store.begin(targets)
      rmSync(join(store.folder(addresses[0]!), 'new'), { recursive: true })
      await expect(delivery.writeAll(chunks(body))).rejects.toBeInstanceOf(StoreError)
      // Nothing is left to wait for: every rename settled before the failure was told. This pause is a window in
      // which a rename still in flight (the fault this covers) would land in new/; a loaded machine can only make
      // it land later, so that the test misses it, never fail a store that works.
      await new Promise((r) => setTimeout(r, 200))
      const doubled = addresses.slice(1).filter((a) => readdirSync(join(store.folder(a), 'new')).length !== 1)
      expect(doubled).toEqual([]) // the failed message left no copy beside the first one
      await store.close()
      rmSync(root, { recursive: true })
    },
  )
})

describe('a condition that is repaired is not answered 451 forever', () => {
  it('a mailbox whose new/ folder was removed is made again on the next delivery', async () => {
    const root = scratch()
    const store = new Maildir(root)
    const target = [{ address: 'bob@x.example', head }]
    await store.begin(target).writeAll(chunks(body))
    rmSync(join(store.folder('bob@x.example'), 'new'), { recursive: true })
    await expect(store.begin(target).writeAll(chunks(body))).rejects.toBeInstanceOf(StoreError)
    // fails: the folder is remembered as made, so every later delivery fails the same way until a restart
    await store.begin(target).writeAll(chunks(body))
    expect(readdirSync(join(store.folder('bob@x.example'), 'new'))).toHaveLength(1)
    rmSync(root, { recursive: true })
  })
})

// A delivery called off by its signal (the SMTP session stopped waiting: its client heard 451 or 421)
// delivers nothing: aborted before the renames, nothing reaches new/; aborted while they run, the
// copies are taken back out. (docs/security.md, "What a 250 means".)
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { DeliveryAbortedError, Maildir } from '../src/index.js'

const scratch = (): string => mkdtempSync(join(tmpdir(), 'smtpure-maildir-abort-'))
async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')
const addresses = ['a@x.example', 'b@x.example', 'c@x.example']
const targets = addresses.map((address) => ({ address, head }))
/** Every file in every recipient's new/ and tmp/. */
const files = (store: Maildir) =>
  addresses.flatMap((a) => ['new', 'tmp'].flatMap((d) => readdirSync(join(store.folder(a), d))))

describe('MaildirDelivery with a signal', () => {
  it('aborted while the message streams: nothing is written to new/, tmp/ is cleaned', async () => {
    const root = scratch()
    const store = new Maildir(root)
    const c = new AbortController()
    async function* slow(): AsyncIterable<Uint8Array> {
      yield body
      c.abort(new Error('the client was told 451'))
      yield body
    }
    const failure = await store
      .begin(targets)
      .writeAll(slow(), c.signal)
      .catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(DeliveryAbortedError)
    expect((failure as DeliveryAbortedError).message).toBe('delivery called off: the client was told 451')
    expect(files(store)).toEqual([])
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('aborted after the data is on disk but before the renames: nothing reaches new/', async () => {
    const root = scratch()
    const c = new AbortController()
    // the abort lands while the copies are synced, the last step before the renames
    const store = new Maildir(root, {
      openFile: async (path) => {
        const fs = await import('node:fs/promises')
        const h = await fs.open(path, 'wx', 0o600)
        return {
          writev: async (b) => (await h.writev(b as Uint8Array[])).bytesWritten,
          sync: async () => {
            c.abort(new Error('hookTimeoutMs'))
            await h.sync()
          },
          close: () => h.close(),
        }
      },
    })
    await expect(store.begin(targets).writeAll(chunks(body), c.signal)).rejects.toBeInstanceOf(DeliveryAbortedError)
    expect(files(store)).toEqual([])
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('aborted while the copies move into new/: they are taken back out', async () => {
    const root = scratch()
    const store = new Maildir(root)
    await store.begin(targets).writeAll(chunks(body)) // the folders exist, one message each
    const c = new AbortController()
    // the abort lands during the new/ folder syncs, after every rename
    const sync = store.folders.sync.bind(store.folders)
    store.folders.sync = (dir: string) => {
      if (dir.endsWith('new')) c.abort(new Error('close deadline'))
      return sync(dir)
    }
    await expect(store.begin(targets).writeAll(chunks(body), c.signal)).rejects.toBeInstanceOf(DeliveryAbortedError)
    expect(addresses.map((a) => readdirSync(join(store.folder(a), 'new')).length)).toEqual([1, 1, 1])
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('a signal that never aborts changes nothing: one copy each', async () => {
    const root = scratch()
    const store = new Maildir(root)
    await store.begin(targets).writeAll(chunks(body), new AbortController().signal)
    expect(addresses.map((a) => readdirSync(join(store.folder(a), 'new')).length)).toEqual([1, 1, 1])
    await store.close()
    rmSync(root, { recursive: true })
  })
})

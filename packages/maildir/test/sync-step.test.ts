// The store's sync steps (the write of a file opened with O_DSYNC, on disk when it returns, and the fsync of a
// folder) run where its `syncSteps` put them: in place, timed, while they stay quick (tmpfs, storage that keeps a
// write safe in its own cache), in the thread pool otherwise, and never on the event loop for a store told to
// keep them in the thread pool. The metadata steps are placed apart.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

/** Each write and fsync the store made, by the node:fs function it called. */
const calls: string[] = []

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>()
  type Cb = (e: NodeJS.ErrnoException | null, n?: number) => void
  const writevSync = (fd: number, buffers: NodeJS.ArrayBufferView[], position?: number | null): number => {
    calls.push('writevSync')
    return fs.writevSync(fd, buffers, position ?? undefined)
  }
  const writev = (fd: number, buffers: NodeJS.ArrayBufferView[], position: number | null, cb: Cb): void => {
    calls.push('writev')
    fs.writev(fd, buffers, position, cb)
  }
  const fsyncSync = (fd: number): void => {
    calls.push('fsyncSync')
    fs.fsyncSync(fd)
  }
  const fsync = (fd: number, cb: (e: NodeJS.ErrnoException | null) => void): void => {
    calls.push('fsync')
    fs.fsync(fd, cb)
  }
  const mocked = { writev, writevSync, fsync, fsyncSync }
  return { ...fs, default: { ...fs, ...mocked }, ...mocked }
})

const { Maildir, FileSteps } = await import('../src/index.js')

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')

describe.each([
  ['in place', true],
  ['in the thread pool', false],
])('the sync steps of a delivery, %s', (_, inline) => {
  it('run where the sync steps run, whatever the metadata steps do, and deliver every copy whole', async () => {
    const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-sync-'))
    const syncSteps = new FileSteps({ inline, now: () => 0 })
    // the metadata steps the other way: each kind is placed on its own
    const metadataSteps = new FileSteps({ inline: !inline, now: () => 0 })
    const store = new Maildir(root, { syncSteps, metadataSteps })
    const targets = ['a@x.example', 'b@x.example', 'c@x.example'].map((address) => ({ address, head }))
    calls.length = 0
    for (let i = 0; i < 2; i++) await store.begin(targets).writeAll(chunks(body))
    const [write, sync] = inline ? ['writevSync', 'fsyncSync'] : ['writev', 'fsync']
    // one write per copy; the folder syncs: each new Maildir and the root once, then new/ after each rename
    expect(calls.filter((c) => c.startsWith('writev'))).toEqual(Array(6).fill(write))
    const syncs = calls.filter((c) => c.startsWith('fsync'))
    expect(new Set(syncs)).toEqual(new Set([sync]))
    expect(inline ? syncSteps.inlineSteps : syncSteps.pooledSteps).toBe(calls.length)
    expect(inline ? syncSteps.pooledSteps : syncSteps.inlineSteps).toBe(0)
    // an open, a rename and a close per copy, placed the other way
    expect(inline ? metadataSteps.pooledSteps : metadataSteps.inlineSteps).toBe(18)
    for (const t of targets) {
      const inbox = join(store.folder(t.address), 'new')
      const names = readdirSync(inbox)
      expect(names).toHaveLength(2)
      for (const n of names)
        expect(readFileSync(join(inbox, n), 'utf8')).toBe('Delivered-To: x\r\nSubject: x\r\n\r\nhi\r\n')
    }
    await store.close()
    rmSync(root, { recursive: true })
  })
})

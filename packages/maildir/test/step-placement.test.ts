// Where a delivery's file-system steps run: each kind where its FileSteps put it, in place (timed, while steps of
// that kind stay quick) or in the thread pool, and never on the event loop for a store told to keep a kind in the
// thread pool (a network file system, where any step may wait for the server).
//   - the metadata steps: the open, the rename and the close of a file opened with O_DSYNC (it has nothing left
//     to write);
//   - the sync steps: the write (on disk when it returns) and the fsync of a folder.
// Each kind is placed on its own: the other kind is put the other way in every case.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

/** The node:fs functions the store called for the steps watched here, in order. */
const calls: string[] = []
/** Is `fd` a message file (in tmp/, or in new/ once renamed)? */
const messageFile = (readlink: (p: string) => string, fd: number): boolean => {
  try {
    return /\/(tmp|new)\/\d+\.M\d+P/.test(readlink(`/proc/self/fd/${fd}`))
  } catch {
    return false
  }
}

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>()
  type Done = (e: NodeJS.ErrnoException | null, n?: number) => void
  const mocked = {
    closeSync: (fd: number): void => {
      if (messageFile(fs.readlinkSync, fd)) calls.push('closeSync')
      fs.closeSync(fd)
    },
    close: (fd: number, cb: Done): void => {
      if (messageFile(fs.readlinkSync, fd)) calls.push('close')
      fs.close(fd, cb)
    },
    writevSync: (fd: number, buffers: NodeJS.ArrayBufferView[], position?: number | null): number => {
      calls.push('writevSync')
      return fs.writevSync(fd, buffers, position ?? undefined)
    },
    writev: (fd: number, buffers: NodeJS.ArrayBufferView[], position: number | null, cb: Done): void => {
      calls.push('writev')
      fs.writev(fd, buffers, position, cb)
    },
    fsyncSync: (fd: number): void => {
      calls.push('fsyncSync')
      fs.fsyncSync(fd)
    },
    fsync: (fd: number, cb: Done): void => {
      calls.push('fsync')
      fs.fsync(fd, cb)
    },
  }
  return { ...fs, default: { ...fs, ...mocked }, ...mocked }
})

const { Maildir, FileSteps } = await import('../src/index.js')

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')

/** Two messages to three mailboxes, the metadata steps placed one way and the sync steps the other. */
const deliver = async (metadataInPlace: boolean, syncInPlace: boolean) => {
  const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-placement-'))
  // a clock that stands still: every step stays where it is put, however loaded the machine is
  const metadataSteps = new FileSteps({ inline: metadataInPlace, now: () => 0 })
  const syncSteps = new FileSteps({ inline: syncInPlace, now: () => 0 })
  const store = new Maildir(root, { metadataSteps, syncSteps })
  const targets = ['a@x.example', 'b@x.example', 'c@x.example'].map((address) => ({ address, head }))
  calls.length = 0
  for (let i = 0; i < 2; i++) await store.begin(targets).writeAll(chunks(body))
  const seen = [...calls]
  for (const t of targets) {
    const inbox = join(store.folder(t.address), 'new')
    const names = readdirSync(inbox)
    expect(names).toHaveLength(2)
    for (const n of names)
      expect(readFileSync(join(inbox, n), 'utf8')).toBe('Delivered-To: x\r\nSubject: x\r\n\r\nhi\r\n')
  }
  await store.close()
  rmSync(root, { recursive: true })
  return { calls: seen, metadataSteps, syncSteps }
}

describe.each([
  ['in place', true],
  ['in the thread pool', false],
])('a delivery with its metadata steps %s', (_, inline) => {
  it('closes each copy there, and counts an open, a rename and a close per copy there', async () => {
    const { calls, metadataSteps } = await deliver(inline, !inline)
    expect(calls.filter((c) => c.startsWith('close'))).toEqual(Array(6).fill(inline ? 'closeSync' : 'close'))
    expect(inline ? metadataSteps.inlineSteps : metadataSteps.pooledSteps).toBe(18)
    expect(inline ? metadataSteps.pooledSteps : metadataSteps.inlineSteps).toBe(0)
  })
})

describe.each([
  ['in place', true],
  ['in the thread pool', false],
])('a delivery with its sync steps %s', (_, inline) => {
  it('writes each copy and syncs each folder there, and counts every one of those steps there', async () => {
    const { calls, syncSteps } = await deliver(!inline, inline)
    const [write, sync] = inline ? ['writevSync', 'fsyncSync'] : ['writev', 'fsync']
    // one write per copy; the folder syncs: each new Maildir and the root once, then new/ after each rename
    expect(calls.filter((c) => c.startsWith('writev'))).toEqual(Array(6).fill(write))
    const syncs = calls.filter((c) => c.startsWith('fsync'))
    expect(new Set(syncs)).toEqual(new Set([sync]))
    expect(inline ? syncSteps.inlineSteps : syncSteps.pooledSteps).toBe(6 + syncs.length)
    expect(inline ? syncSteps.pooledSteps : syncSteps.inlineSteps).toBe(0)
  })
})

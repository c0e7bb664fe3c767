// Closing a file of the store's own (opened with O_DSYNC: close has nothing left to write) is one of its quick
// steps, like the open and the rename: timed in place while they stay quick, in the thread pool otherwise, and
// never on the event loop for a store told to keep its steps in the thread pool (a network file system, where
// a close may wait for the server).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

/** Each close of a message file (in tmp/, or in new/ once renamed), as `closeSync` or `close`. */
const closes: string[] = []
const messageFile = (readlink: (p: string) => string, fd: number): boolean => {
  try {
    return /\/(tmp|new)\/\d+\.M\d+P/.test(readlink(`/proc/self/fd/${fd}`))
  } catch {
    return false
  }
}

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>()
  const closeSync = (fd: number): void => {
    if (messageFile(fs.readlinkSync, fd)) closes.push('closeSync')
    fs.closeSync(fd)
  }
  const close = (fd: number, cb: (e: NodeJS.ErrnoException | null) => void): void => {
    if (messageFile(fs.readlinkSync, fd)) closes.push('close')
    fs.close(fd, cb)
  }
  return { ...fs, default: { ...fs, close, closeSync }, close, closeSync }
})

const { Maildir, FileSteps } = await import('../src/index.js')

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')

describe.each([
  ['in place', true, 'closeSync'],
  ['in the thread pool', false, 'close'],
])('the close of a delivered copy, steps %s', (_, inline, call) => {
  it('is a step like the open and the rename, run where the steps run', async () => {
    const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-close-'))
    const steps = new FileSteps({ inline, now: () => 0 })
    const store = new Maildir(root, { metadataSteps: steps })
    closes.length = 0
    const targets = ['a@x.example', 'b@x.example', 'c@x.example'].map((address) => ({ address, head }))
    await store.begin(targets).writeAll(chunks(body))
    expect(closes).toEqual([call, call, call])
    // an open, a rename and a close per copy, each counted where it ran
    expect(inline ? steps.inlineSteps : steps.pooledSteps).toBe(9)
    expect(inline ? steps.pooledSteps : steps.inlineSteps).toBe(0)
    for (const t of targets) {
      const inbox = join(store.folder(t.address), 'new')
      const [name] = readdirSync(inbox)
      expect(readFileSync(join(inbox, name!), 'utf8')).toBe('Delivered-To: x\r\nSubject: x\r\n\r\nhi\r\n')
    }
    await store.close()
    rmSync(root, { recursive: true })
  })
})

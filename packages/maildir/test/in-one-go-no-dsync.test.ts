// Where the system has no O_DSYNC (a file's writes are not on disk when they return), a delivery syncs each
// file before its rename. The commit in one go has no such sync, so it is not taken there: a message with one
// copy on a settled store then syncs its file as the chain does.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

/** The syncs of files (not folders), counted. */
const fileSyncs = { count: 0 }
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>()
  const constants = { ...fs.constants, O_DSYNC: undefined }
  const count = (fd: number): void => void (fs.fstatSync(fd).isDirectory() || (fileSyncs.count += 1))
  const fsyncSync = (fd: number): void => {
    count(fd)
    fs.fsyncSync(fd)
  }
  const fsync = (fd: number, cb: (e: NodeJS.ErrnoException | null) => void): void => {
    count(fd)
    fs.fsync(fd, cb)
  }
  const mocked = { constants, fsyncSync, fsync }
  return { ...fs, default: { ...fs, ...mocked }, ...mocked }
})
const { Maildir, FileSteps } = await import('../src/index.js')

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const target = [{ address: 'a@x.example', head: new TextEncoder().encode('Delivered-To: a@x.example\r\n') }]
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')

/** Steps whose clock stands still; `settled` ones have a spell of 64 quick steps behind them. */
const steps = (settled: boolean) => {
  const s = new FileSteps({ now: () => 0 })
  if (settled) for (let i = 0; i < 64; i++) s.runNow(() => undefined)
  return s
}

describe('without O_DSYNC', () => {
  it('a message with one copy on a settled store syncs its file before the 250, as the chain does', async () => {
    const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-no-dsync-'))
    const store = new Maildir(root, { metadataSteps: steps(true), syncSteps: steps(true) })
    try {
      await store.begin(target).writeAll(chunks(body)) // makes the folder
      fileSyncs.count = 0
      await store.begin(target).writeAll(chunks(body))
      expect([store.commitsInOneGo, fileSyncs.count]).toEqual([0, 1])
    } finally {
      await store.close()
      rmSync(root, { recursive: true, force: true })
    }
  })
})

// A 250 must survive a crash (RFC 5321 6.1), and so must the folder the message went into: a Maildir that
// another process (a second `serve --workers` worker) or a concurrent delivery made moments ago may not be
// on disk yet, so the store syncs a folder and its root the first time it delivers there, whoever made it.
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

const synced: string[] = []
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>()
  const fsync = (fd: number, cb: (e: NodeJS.ErrnoException | null) => void): void => {
    synced.push(readlinkSync(`/proc/self/fd/${fd}`))
    fs.fsync(fd, cb)
  }
  // a sync run in place (see FileSteps)
  const fsyncSync = (fd: number): void => {
    synced.push(readlinkSync(`/proc/self/fd/${fd}`))
    fs.fsyncSync(fd)
  }
  return { ...fs, default: { ...fs, fsync, fsyncSync }, fsync, fsyncSync }
})

const made: string[] = [] // every mkdir asked for, made or not
vi.mock('node:fs/promises', async (original) => {
  const fs = await original<typeof import('node:fs/promises')>()
  const mkdir = (path: string, ...rest: [never]): Promise<string | undefined> => {
    made.push(path)
    return fs.mkdir(path, ...rest)
  }
  return { ...fs, default: { ...fs, mkdir }, mkdir }
})

const { Maildir, StoreError } = await import('../src/index.js')

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')

describe('a folder made by someone else', () => {
  it('is synced with its root before the first delivery into it commits', async () => {
    const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-durable-'))
    const store = new Maildir(root)
    const dir = store.folder('alice@x.example')
    for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(dir, d), { recursive: true }) // made, not yet synced
    synced.length = 0
    await store.begin([{ address: 'alice@x.example', head }]).writeAll(chunks(body))
    expect(synced).toContain(root)
    expect(synced).toContain(dir)
    expect(synced).toContain(join(dir, 'new'))
    // the next delivery there syncs new/ alone
    synced.length = 0
    await store.begin([{ address: 'alice@x.example', head }]).writeAll(chunks(body))
    expect(synced).toEqual([join(dir, 'new')])
    await store.close()
    rmSync(root, { recursive: true })
  })

  it('two deliveries racing into a new folder both wait for its sync', async () => {
    const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-durable-'))
    const store = new Maildir(root)
    const dir = store.folder('bob@x.example')
    synced.length = 0
    const order: string[] = []
    const one = store
      .begin([{ address: 'bob@x.example', head }])
      .writeAll(chunks(body))
      .then(() => order.push(`done ${synced.includes(root)}`))
    const two = store
      .begin([{ address: 'bob@x.example', head }])
      .writeAll(chunks(body))
      .then(() => order.push(`done ${synced.includes(root)}`))
    await Promise.all([one, two])
    expect(order).toEqual(['done true', 'done true'])
    expect(synced).toContain(dir)
    await store.close()
    rmSync(root, { recursive: true })
  })
})

describe('a new folder wanted by several deliveries at once', () => {
  it('is made and synced once, and every delivery waits for that', async () => {
    const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-durable-'))
    const store = new Maildir(root)
    const dir = store.folder('dave@x.example')
    synced.length = 0
    made.length = 0
    const order: string[] = []
    await Promise.all(
      Array.from({ length: 5 }, () =>
        store
          .begin([{ address: 'dave@x.example', head }])
          .writeAll(chunks(body))
          .then(() => order.push(`done ${synced.includes(dir) && synced.includes(root)}`)),
      ),
    )
    expect(order).toEqual(Array(5).fill('done true'))
    // one making: tmp/ (its parent first missing, then made), then cur/ and new/; no call made twice
    expect(made.filter((p) => p.startsWith(dir)).sort()).toEqual(
      [join(dir, 'tmp'), dir, join(dir, 'tmp'), join(dir, 'cur'), join(dir, 'new')].sort(),
    )
    expect(synced.filter((p) => p === dir)).toEqual([dir])
    for (const d of ['cur', 'new', 'tmp']) expect(readdirSync(join(dir, d))).toHaveLength(d === 'new' ? 5 : 0)
    await store.close()
    rmSync(root, { recursive: true })
  })
})

describe('a folder removed while its handle is open', () => {
  it('is synced through a new handle once made again, not through the one on the removed folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-durable-'))
    const store = new Maildir(root)
    const target = [{ address: 'carol@x.example', head }]
    await store.begin(target).writeAll(chunks(body))
    const inbox = join(store.folder('carol@x.example'), 'new')
    rmSync(inbox, { recursive: true })
    await expect(store.begin(target).writeAll(chunks(body))).rejects.toBeInstanceOf(StoreError)
    synced.length = 0
    await store.begin(target).writeAll(chunks(body)) // new/ is made again
    expect(readdirSync(inbox)).toHaveLength(1)
    expect(synced.filter((p) => p.startsWith(inbox))).toEqual([inbox]) // not "... (deleted)"
    await store.close()
    rmSync(root, { recursive: true })
  })
})

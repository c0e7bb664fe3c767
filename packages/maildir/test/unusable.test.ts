// A root or folder the store cannot use ends in an error, never in a promise that does not settle: a
// root under /proc (where node:fs's recursive mkdir spins forever on Node 20) or below a dangling link,
// and a folder that is a named pipe when it is opened to be synced (where open would wait for a writer).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Maildir, StoreError, makeDirectory } from '../src/index.js'

const scratches: string[] = []
const scratch = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'smtpure-maildir-unusable-'))
  scratches.push(dir)
  return dir
}
afterAll(() => Promise.all(scratches.map((d) => rm(d, { recursive: true, force: true }))))

/** What `promise` settled with, or a failure once it has not settled in 10 s. */
const settled = (promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('did not settle within 10 s')), 10000)
  })
  return Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    late,
  ]).finally(() => clearTimeout(timer))
}

/** A link to a folder that does not exist (a mount that went away, say). */
const dangling = (): string => {
  const dir = scratch()
  symlinkSync(join(dir, 'gone'), join(dir, 'link'))
  return join(dir, 'link')
}

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const p of parts) yield new TextEncoder().encode(p)
}
const head = new TextEncoder().encode('Delivered-To: a@example.com\r\n')

describe('makeDirectory', () => {
  it.each([
    ['under /proc', () => '/proc/smtpure-nope/mail', 'ENOENT'],
    ['below a dangling link', () => join(dangling(), 'mail', 'a'), 'ENOENT'],
    [
      'below a regular file',
      () => (writeFileSync(join(scratch(), 'f'), 'x'), join(scratches.at(-1)!, 'f', 'm')),
      'ENOTDIR',
    ],
  ])('%s: fails with the file system error', async (_, path, code) => {
    const r = await settled(makeDirectory(path()))
    expect(r.error).toMatchObject({ code })
  })

  it('makes the missing parents and says which was the first one it made', async () => {
    const root = scratch()
    expect(await makeDirectory(join(root, 'a', 'b', 'c'))).toBe(join(root, 'a'))
    expect(readdirSync(join(root, 'a', 'b'))).toEqual(['c'])
    expect(await makeDirectory(join(root, 'a', 'b', 'c'))).toBeUndefined()
    expect(await makeDirectory(join(root, 'a', 'b', 'd'))).toBe(join(root, 'a', 'b', 'd'))
  })

  it('many callers making the same folders at once all succeed, and only one of them made each', async () => {
    const root = scratch()
    const made = await Promise.all(
      Array.from({ length: 20 }, (_, i) => makeDirectory(join(root, 'x', 'y', `${i % 3}`))),
    )
    expect(readdirSync(join(root, 'x', 'y')).sort()).toEqual(['0', '1', '2'])
    expect(made.filter((m) => m === join(root, 'x'))).toHaveLength(1)
  })
})

describe('Maildir with a root it cannot use', () => {
  it.each([
    ['under /proc', () => '/proc/smtpure-nope'],
    ['below a dangling link', () => join(dangling(), 'mail')],
    ['that is a dangling link', dangling],
  ])('a delivery %s gets 451 4.3.0 and leaves no promise behind', async (_, root) => {
    const store = new Maildir(root())
    const r = await settled(
      store.begin([{ address: 'a@example.com', head }]).writeAll(chunks('Subject: x\r\n\r\nhi\r\n')),
    )
    expect(r.error).toBeInstanceOf(StoreError)
    expect((r.error as StoreError).reply.code).toBe(451)
    expect((r.error as StoreError).cause).toMatchObject({ code: expect.stringMatching(/^(ENOENT|ENOTDIR)$/) })
  })

  it.each([
    ['under /proc', () => '/proc/smtpure-nope', 'ENOENT'],
    ['that is a dangling link', dangling, 'ENOENT'],
    ['below a regular file', () => (writeFileSync(join(scratch(), 'f'), 'x'), join(scratches.at(-1)!, 'f')), 'ENOTDIR'],
    ['where no folder can be made (/proc itself)', () => '/proc', 'ENOENT'],
  ])('prepare: a root %s is refused with the file system error', async (_, root, code) => {
    const r = await settled(new Maildir(root()).prepare())
    expect(r.error).toMatchObject({ code })
  })

  it('prepare makes a root that is missing, and leaves nothing in it', async () => {
    const root = join(scratch(), 'var', 'mail')
    expect(await settled(new Maildir(root).prepare())).toEqual({ value: undefined })
    expect(readdirSync(root)).toEqual([])
  })
})

describe('a folder that is not a folder when it is synced', () => {
  it('a named pipe fails with ENOTDIR at once (opening it would wait for a writer)', async () => {
    const root = scratch()
    mkdirSync(join(root, 'a'))
    execFileSync('mkfifo', [join(root, 'a', 'new')])
    const store = new Maildir(root)
    const r = await settled(store.folders.sync(join(root, 'a', 'new')))
    expect(r.error).toMatchObject({ code: 'ENOTDIR' })
    await store.close()
  })

  it('so does it once the store is closed, when each sync opens a handle of its own', async () => {
    const root = scratch()
    mkdirSync(join(root, 'a'))
    execFileSync('mkfifo', [join(root, 'a', 'new')])
    const store = new Maildir(root)
    await store.close()
    const r = await settled(store.folders.sync(join(root, 'a', 'new')))
    expect(r.error).toMatchObject({ code: 'ENOTDIR' })
  })
})

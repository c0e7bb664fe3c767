// The store's own open and rename, on a real file system, in place, in the thread pool and on the store's
// worker thread (a delivery with many copies): a failure is the same StoreError each way, with the file system's error (code, syscall, path, dest) as its cause, and
// leaves nothing in new/ or tmp/.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Maildir, FileSteps, StoreError } from '../src/index.js'

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')

/** What a failed delivery told, with the root's path taken out (each run has its own root). */
interface Told {
  readonly reply: unknown
  readonly cause: Record<string, unknown>
  readonly inPlace: number
  readonly pooled: number
  readonly onWorker: number
  readonly left: ReadonlyArray<string>
}

/** Where the steps run: in place, in the thread pool, or on the worker (both copies, as a delivery of many). */
type Placement = 'in place' | 'pool' | 'worker'

/** Deliver to two mailboxes after `breakIt` removed a folder of the first; what the failure was. */
const failWith = async (placement: Placement, breakIt: (dir: string) => void): Promise<Told> => {
  const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-errors-'))
  // a clock that stands still: every step stays where it is put, however loaded the machine is
  const steps = new FileSteps({ inline: placement !== 'pool', now: () => 0 })
  const store = new Maildir(root, {
    metadataSteps: steps,
    workerCopies: placement === 'worker' ? 2 : Infinity,
    // the worker's steps judged quick however slow the disk is
    workerTiming: new FileSteps({ slowMs: 1e6 }),
  })
  const targets = ['a@x.example', 'b@x.example'].map((address) => ({ address, head }))
  await store.begin(targets).writeAll(chunks(body)) // the folders exist, and the store knows it
  breakIt(store.folder('a@x.example'))
  const e: unknown = await store
    .begin(targets)
    .writeAll(chunks(body))
    .then(
      () => undefined,
      (e: unknown) => e,
    )
  expect(e).toBeInstanceOf(StoreError)
  const { reply, cause } = e as StoreError
  const c = cause as NodeJS.ErrnoException & { dest?: string }
  /** A path or message without the root, and each file name as NAME (each message has its own). */
  const strip = (p: string | undefined): string | undefined =>
    p
      ?.split(root)
      .join('')
      .replace(/\d+\.M\d+P\d+Q\d+\.[^/']+/g, 'NAME')
  const left = ['a@x.example', 'b@x.example'].flatMap((a) =>
    ['new', 'tmp'].flatMap((d) => {
      try {
        return readdirSync(join(store.folder(a), d)).map((n) => `${a}/${d}/${n}`)
      } catch {
        return []
      }
    }),
  )
  await store.close()
  rmSync(root, { recursive: true })
  return {
    reply,
    cause: {
      code: c.code,
      errno: c.errno,
      syscall: c.syscall,
      path: strip(c.path),
      dest: strip(c.dest),
      message: strip(c.message),
    },
    inPlace: steps.inlineSteps,
    pooled: steps.pooledSteps,
    onWorker: store.workerSteps.steps,
    left,
  }
}

describe.each([
  ['open', 'tmp', '/a@x.example/tmp/NAME', undefined],
  ['rename', 'new', '/a@x.example/tmp/NAME', '/a@x.example/new/NAME'],
])('a failed %s (its %s/ folder removed behind the store)', (syscall, folder, path, dest) => {
  it('is the same StoreError in place, in the thread pool and on the worker, with the file system error as its cause', async () => {
    const remove = (dir: string): void => rmSync(join(dir, folder), { recursive: true })
    const inPlace = await failWith('in place', remove)
    const pooled = await failWith('pool', remove)
    const onWorker = await failWith('worker', remove)
    expect(inPlace.cause).toMatchObject({ code: 'ENOENT', syscall, path, dest })
    expect(inPlace.reply).toEqual({ code: 451, enhanced: '4.3.0', lines: ['Local error in processing'] })
    expect(pooled.reply).toEqual(inPlace.reply)
    // the first message's copies, only: the second left none in new/ and removed its files in tmp/
    expect(inPlace.left.filter((f) => f.includes('/tmp/'))).toEqual([])
    expect(inPlace.left.filter((f) => f.includes('/new/'))).toHaveLength(syscall === 'rename' ? 1 : 2)
    expect(pooled.left.length).toBe(inPlace.left.length)
    // the same error either way, and each ran where it was told to
    expect(pooled.cause).toEqual(inPlace.cause)
    expect([inPlace.inPlace > 0, inPlace.pooled, pooled.inPlace, pooled.pooled > 0]).toEqual([true, 0, 0, true])
    expect([inPlace.onWorker, pooled.onWorker]).toEqual([0, 0])
    // on the worker: the same reply, cause and leftovers, and no open or rename ran on the event loop
    expect(onWorker.reply).toEqual(inPlace.reply)
    expect(onWorker.cause).toEqual(inPlace.cause)
    const folders = (left: ReadonlyArray<string>): string[] => left.map((f) => f.replace(/[^/]+$/, 'NAME'))
    expect(folders(onWorker.left)).toEqual(folders(inPlace.left))
    expect(onWorker.onWorker).toBeGreaterThan(0)
    expect(onWorker.inPlace + onWorker.pooled).toBe(0)
  })
})

// A message with one copy on a store whose steps have been quick for a spell commits in one go: every step in
// place, with no promise between them (see "In one go" on MaildirDelivery). Its outcomes must be the chain's:
// the same copy in new/ (whole after short writes), and for a failure at each step the same StoreError with the
// same cause, nothing left in new/ or tmp/, and the store still usable after. Each case runs twice, on a settled
// store (in one go) and on a store whose steps are in place but not yet settled (the chain), on a real file
// system with faults injected into node:fs.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

/** The next call of a step: fail with `code`, or (a write) take at most `short` octets; then as usual. */
type Fault = { readonly code: string } | { readonly short: number }
const faults: Record<'writev' | 'rename' | 'close' | 'folderSync', Fault[]> = {
  writev: [],
  rename: [],
  close: [],
  folderSync: [],
}
/** The steps on new/ folders, in order: `rename` into one, `sync` of one. */
const newSteps: string[] = []
/** Called after each rename. */
const renamed = { f: (): void => undefined }
/** The clock of the stores' steps, in milliseconds; a rename moves it on by `renameMs`. */
const clock = { now: 0, renameMs: 0, writevMs: [] as number[] }

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>()
  type Views = ReadonlyArray<NodeJS.ArrayBufferView>
  const failure = (code: string, syscall: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`${code}: injected, ${syscall}`), { code, syscall, errno: code === 'EIO' ? -5 : -28 })
  const cut = (views: Views, n: number): NodeJS.ArrayBufferView[] => {
    const out: NodeJS.ArrayBufferView[] = []
    for (const v of views) {
      if (n <= 0) break
      out.push(new Uint8Array(v.buffer, v.byteOffset, Math.min(v.byteLength, n)))
      n -= v.byteLength
    }
    return out
  }
  const isFolder = (fd: number): boolean => fs.fstatSync(fd).isDirectory()
  /** Throw the fault's error, or return it for a short write. */
  const take = (list: Fault[], syscall: string): Fault | undefined => {
    const f = list.shift()
    if (f !== undefined && 'code' in f) throw failure(f.code, syscall)
    return f
  }
  const writevSync = (fd: number, views: Views): number => {
    const f = take(faults.writev, 'writev')
    clock.now += clock.writevMs.shift() ?? 0
    return fs.writevSync(fd, f === undefined || !('short' in f) ? views : cut(views, f.short))
  }
  const renameSync = (from: string, to: string): void => {
    take(faults.rename, 'rename')
    fs.renameSync(from, to)
    newSteps.push('rename')
    // a promise job after the rename: a sync of new/ in the same call comes before it, the chain's after
    queueMicrotask(() => newSteps.push('job'))
    clock.now += clock.renameMs
    renamed.f()
  }
  const closeSync = (fd: number): void => {
    if (!isFolder(fd) && faults.close.length > 0) {
      fs.closeSync(fd) // closed all the same, as a failed close(2) leaves it
      take(faults.close, 'close')
    }
    fs.closeSync(fd)
  }
  const fsyncSync = (fd: number): void => {
    const folder = isFolder(fd)
    if (folder) take(faults.folderSync, 'fsync')
    fs.fsyncSync(fd)
    if (folder && fs.readlinkSync(`/proc/self/fd/${fd}`).endsWith('/new')) newSteps.push('sync')
  }
  // the chain's own steps in the thread pool are not used here: every store below runs its steps in place
  const mocked = { writevSync, renameSync, closeSync, fsyncSync }
  return { ...fs, default: { ...fs, ...mocked }, ...mocked }
})

const { DeliveryAbortedError, Maildir, FileSteps, StoreError } = await import('../src/index.js')

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const encoder = new TextEncoder()
const head = encoder.encode('Delivered-To: a@x.example\r\n')
const body = encoder.encode('Subject: x\r\n\r\n' + 'a line of the body\r\n'.repeat(30))
const address = 'a@x.example'

/** Steps in place whose clock stands still; `settled` ones have a spell of 64 quick steps behind them. */
const steps = (settled: boolean) => {
  const s = new FileSteps({ now: () => clock.now })
  if (settled) for (let i = 0; i < 64; i++) s.runNow(() => undefined)
  return s
}

/** What a delivery told and left, with the root taken out of paths. */
interface Outcome {
  readonly error?: { readonly reply: unknown; readonly code: unknown; readonly syscall: unknown }
  readonly newFiles: ReadonlyArray<string>
  readonly tmpFiles: number
  readonly inOneGo: number
  /** The steps on new/ that the message took (see `newSteps`). */
  readonly steps: ReadonlyArray<string>
  /** Metadata steps run in the thread pool, and whether they were in place, once the message was done. */
  readonly pooled: number
  readonly inPlace: boolean
  /** A message delivered after it, to show the store is still usable. */
  readonly after: number
}

/** One message after one that made the folder, on a settled store or not, with `arrange` run in between. */
const deliver = async (
  settled: boolean | { readonly metadata: boolean; readonly sync: boolean },
  arrange: (dir: string, store: InstanceType<typeof Maildir>) => void = () => undefined,
  signal?: { aborted: boolean; reason?: unknown },
  options: { readonly flushOctets?: number; readonly parts?: ReadonlyArray<Uint8Array> } = {},
): Promise<Outcome> => {
  const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-one-go-'))
  const kinds = typeof settled === 'boolean' ? { metadata: settled, sync: settled } : settled
  const store = new Maildir(root, {
    metadataSteps: steps(kinds.metadata),
    syncSteps: steps(kinds.sync),
    ...(options.flushOctets !== undefined ? { flushOctets: options.flushOctets } : {}),
  })
  try {
    await store.begin([{ address, head }]).writeAll(chunks(body)) // makes the folder: from here it is known
    const dir = store.folder(address)
    const before = new Set(readdirSync(join(dir, 'new')))
    const inOneGo = store.commitsInOneGo
    arrange(dir, store)
    newSteps.length = 0
    const error = await store
      .begin([{ address, head }])
      .writeAll(chunks(...(options.parts ?? [body.subarray(0, 100), body.subarray(100)])), signal)
      .then(
        () => undefined,
        (e: unknown) => {
          if (e instanceof DeliveryAbortedError) return { reply: undefined, code: 'aborted', syscall: undefined }
          expect(e).toBeInstanceOf(StoreError)
          const { reply, cause } = e as InstanceType<typeof StoreError>
          const c = cause as NodeJS.ErrnoException
          return { reply, code: c.code, syscall: c.syscall }
        },
      )
    const steps = [...newSteps]
    const { pooledSteps: pooled, inPlace } = store.metadataSteps
    const newFiles = files(join(dir, 'new'))
      .filter((n) => !before.has(n))
      .map((n) => readFileSync(join(dir, 'new', n), 'latin1'))
    const tmpFiles = files(join(dir, 'tmp')).length
    const made = store.commitsInOneGo - inOneGo
    store.forget() // a removed folder is made again
    renamed.f = () => undefined
    clock.renameMs = 0
    clock.writevMs.length = 0
    await store.begin([{ address, head }]).writeAll(chunks(body))
    const after = readdirSync(join(dir, 'new')).length - before.size - newFiles.length
    return { ...(error ? { error } : {}), newFiles, tmpFiles, inOneGo: made, steps, pooled, inPlace, after }
  } finally {
    await store.close()
    rmSync(root, { recursive: true, force: true })
  }
}

/** `f` on a settled store (room for `openFiles` files) whose folder for `address` one message made. */
const onSettledStore = async (
  f: (store: InstanceType<typeof Maildir>) => Promise<void>,
  openFiles?: number,
): Promise<void> => {
  const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-one-go-'))
  const store = new Maildir(root, {
    metadataSteps: steps(true),
    syncSteps: steps(true),
    ...(openFiles !== undefined ? { openFiles } : {}),
  })
  try {
    await store.begin([{ address, head }]).writeAll(chunks(body))
    await f(store)
  } finally {
    await store.close()
    rmSync(root, { recursive: true, force: true })
  }
}

/** A delivery after the first on `onSettledStore` was called off: none in one go, nothing left of it. */
const expectCalledOff = (store: InstanceType<typeof Maildir>, e: unknown): void => {
  expect(e).toBeInstanceOf(DeliveryAbortedError)
  expect(store.commitsInOneGo).toBe(0)
  expect(readdirSync(join(store.folder(address), 'new'))).toHaveLength(1)
  expect(readdirSync(join(store.folder(address), 'tmp'))).toHaveLength(0)
}

/** The names in a folder; none when it is gone. */
const files = (dir: string): string[] => {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

const whole = new TextDecoder('latin1').decode(new Uint8Array([...head, ...body]))

describe('a commit in one go', () => {
  it('is taken on a settled store, and delivers the copy the chain delivers', async () => {
    const oneGo = await deliver(true)
    const chain = await deliver(false)
    expect([oneGo.inOneGo, chain.inOneGo]).toEqual([1, 0])
    expect(oneGo.newFiles).toEqual([whole])
    expect(chain.newFiles).toEqual(oneGo.newFiles)
    expect([oneGo.tmpFiles, chain.tmpFiles]).toEqual([0, 0])
    // in one go new/ is synced in the call that renamed into it; the chain syncs it in a later promise job
    expect(oneGo.steps).toEqual(['rename', 'sync', 'job'])
    expect(chain.steps).toEqual(['rename', 'job', 'sync'])
  })

  it('is not taken once octets were written before the commit (a message past flushOctets): the chain writes them once', async () => {
    const parts = [body.subarray(0, 300), body.subarray(300)]
    const oneGo = await deliver(true, undefined, undefined, { flushOctets: 256, parts })
    expect(oneGo.inOneGo).toBe(0)
    expect(oneGo.newFiles).toEqual([whole])
  })

  it('is not taken while only the metadata steps have been quick for a spell', async () => {
    const oneGo = await deliver({ metadata: true, sync: false })
    expect(oneGo.inOneGo).toBe(0)
    expect(oneGo.newFiles).toEqual([whole])
    expect(oneGo.steps).toEqual(['rename', 'job', 'sync'])
  })

  it('gives back its open file: with room for one, message after message goes through', async () => {
    await onSettledStore(async (store) => {
      for (let i = 0; i < 3; i++) await store.begin([{ address, head }]).writeAll(chunks(body))
      expect(store.commitsInOneGo).toBe(3)
      expect(readdirSync(join(store.folder(address), 'new'))).toHaveLength(4)
    }, 1)
  })

  it('is not taken for a signal that aborted after the last octets came: nothing is delivered', async () => {
    const signal = { aborted: false, reason: undefined as unknown }
    async function* flipping(): AsyncIterable<Uint8Array> {
      yield body
      Object.assign(signal, { aborted: true, reason: 'the session ended' })
    }
    await onSettledStore(async (store) => {
      const e = await store
        .begin([{ address, head }])
        .writeAll(flipping(), signal)
        .catch((e: unknown) => e)
      expectCalledOff(store, e)
    })
  })

  it('leaves the steps after a slow one to the chain, and their while in the thread pool stands', async () => {
    // a rename a hundred times slowMs sends the metadata steps to the thread pool
    const slowRename = (): void => void (clock.renameMs = 5)
    const oneGo = await deliver(true, slowRename)
    const chain = await deliver(false, slowRename)
    expect(oneGo.inOneGo).toBe(1)
    expect(oneGo.newFiles).toEqual([whole])
    // the close went to the thread pool, and the steps are still there (the clock has not moved since)
    expect([oneGo.pooled, oneGo.inPlace]).toEqual([1, false])
    expect([chain.pooled, chain.inPlace]).toEqual([1, false])
  })

  it('completes short writes, so the copy is whole', async () => {
    const short = (): void => void faults.writev.push({ short: 7 }, { short: 1 }, { short: 300 })
    const oneGo = await deliver(true, short)
    const chain = await deliver(false, short)
    expect(oneGo.inOneGo).toBe(1)
    expect(oneGo.newFiles).toEqual([whole])
    expect(chain.newFiles).toEqual([whole])
  })

  it('leaves the sync of new/ to the chain when the folder has no handle open, and new/ is synced all the same', async () => {
    const oneGo = await deliver(true, (_, store) => store.folders.forget())
    expect(oneGo.inOneGo).toBe(1)
    expect(oneGo.newFiles).toEqual([whole])
    expect(oneGo.steps).toEqual(['rename', 'job', 'sync'])
  })

  describe.each([
    ['a write that fails', 'writev', { code: 'EIO' }, 451, 'EIO'],
    ['a write on a full disk', 'writev', { code: 'ENOSPC' }, 452, 'ENOSPC'],
    ['a write that makes no progress', 'writev', { short: 0 }, 452, 'ENOSPC'],
    ['a rename that fails', 'rename', { code: 'EIO' }, 451, 'EIO'],
    ['a sync of new/ that fails', 'folderSync', { code: 'EIO' }, 451, 'EIO'],
  ] as const)('%s', (_, step, fault, code, errno) => {
    it('gives the chain’s StoreError and leaves nothing in new/ or tmp/', async () => {
      const arrange = (): void => void faults[step].push(fault)
      const oneGo = await deliver(true, arrange)
      const chain = await deliver(false, arrange)
      expect(oneGo.inOneGo).toBe(1)
      expect(oneGo.error?.reply).toMatchObject({ code })
      expect(oneGo.error?.code).toBe(errno)
      expect(chain.error).toEqual(oneGo.error)
      expect([oneGo.newFiles, oneGo.tmpFiles]).toEqual([[], 0])
      expect([chain.newFiles, chain.tmpFiles]).toEqual([[], 0])
      expect([oneGo.after, chain.after]).toEqual([1, 1])
    })
  })

  it('passes over a close that fails, as the chain does: the octets are on disk already', async () => {
    const arrange = (): void => void faults.close.push({ code: 'EIO' })
    const oneGo = await deliver(true, arrange)
    const chain = await deliver(false, arrange)
    expect(oneGo.inOneGo).toBe(1)
    expect([oneGo.error, chain.error]).toEqual([undefined, undefined])
    expect(oneGo.newFiles).toEqual([whole])
    expect(chain.newFiles).toEqual([whole])
  })

  it('opens no file in place once the folder was removed behind the store: the same StoreError as the chain', async () => {
    const remove = (dir: string): void => rmSync(join(dir, 'tmp'), { recursive: true })
    const oneGo = await deliver(true, remove)
    const chain = await deliver(false, remove)
    expect(oneGo.error).toMatchObject({ reply: { code: 451 }, code: 'ENOENT', syscall: 'open' })
    expect(chain.error).toEqual(oneGo.error)
    expect([oneGo.inOneGo, oneGo.newFiles, oneGo.after]).toEqual([0, [], 1])
    expect([chain.newFiles, chain.after]).toEqual([[], 1])
  })

  describe.each([
    ['its handle open', () => undefined],
    [
      'no handle open (the chain syncs new/)',
      (_: string, store: InstanceType<typeof Maildir>) => store.folders.forget(),
    ],
  ])('called off by its signal once its copy is in new/, with %s', (_, arrange) => {
    it('takes the copy back out and says so, as the chain does', async () => {
      const run = (settled: boolean) => {
        const signal = { aborted: false, reason: undefined as unknown }
        return deliver(
          settled,
          (dir, store) => {
            arrange(dir, store)
            renamed.f = () => Object.assign(signal, { aborted: true, reason: 'the session ended' })
          },
          signal,
        )
      }
      const oneGo = await run(true)
      const chain = await run(false)
      expect(oneGo.inOneGo).toBe(1)
      expect(oneGo.error?.code).toBe('aborted')
      expect(chain.error).toEqual(oneGo.error)
      expect([oneGo.newFiles, oneGo.tmpFiles, chain.newFiles, chain.tmpFiles]).toEqual([[], 0, [], 0])
    })
  })

  it('leaves the rest of a short write to the chain once the write was slow', async () => {
    const slowShort = (): void => {
      faults.writev.push({ short: 7 })
      clock.writevMs.push(5) // a hundred times slowMs: the sync steps go to the thread pool
    }
    const run = async (settled: boolean) => {
      let sync: InstanceType<typeof FileSteps> | undefined
      const outcome = await deliver(settled, (_, store) => {
        sync = store.syncSteps
        slowShort()
      })
      return { outcome, pooled: sync!.pooledSteps }
    }
    const oneGo = await run(true)
    const chain = await run(false)
    expect(oneGo.outcome.inOneGo).toBe(1)
    expect([oneGo.outcome.newFiles, chain.outcome.newFiles]).toEqual([[whole], [whole]])
    // the rest of the write went to the thread pool, then the sync of new/, and the message after it
    expect(oneGo.pooled).toBe(chain.pooled)
    expect(oneGo.pooled).toBeGreaterThan(1)
  })

  it('is not taken once the delivery was aborted: the commit is called off and nothing is delivered', async () => {
    await onSettledStore(async (store) => {
      const d = store.begin([{ address, head }])
      await d.write(body)
      const aborting = d.abort()
      const e = await d.commit().catch((e: unknown) => e)
      await aborting
      expectCalledOff(store, e)
    })
  })
})

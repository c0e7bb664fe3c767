// The order of a delivery's durable steps (RFC 5321 6.1: a 250 means the message is safe), over any number
// of copies, flushes and slow steps (a property), from a log of the file steps, renames and folder syncs:
//   - a copy is renamed into new/ only once every write on it has ended (and its sync, for a file that does
//     not write through), never while one still runs;
//   - the delivery resolves only once, for every copy, a sync of its new/ folder started after its rename
//     and ended;
//   - when a rename fails, the copies renamed already are removed from new/, and a sync of their new/ that
//     started after the removal ends before the delivery rejects.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { deliveryShape, fakeFiles } from './fake-file.js'

const log: string[] = []
/** Renames into these paths fail with EIO (and do nothing). */
const failRenames = new Set<string>()
/** Called as each rename starts and as it ends well. */
const onRename: { f: (moment: 'start' | 'done') => void } = { f: () => undefined }

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>()
  /** Log a sync's start, with what the folder holds as it starts: the sync makes (at least) that state durable. */
  const syncStarts = (fd: number): string => {
    let path = ''
    try {
      path = fs.readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      // not a path
    }
    const held = path.endsWith('/new') ? fs.readdirSync(path).join(',') : ''
    log.push(`fsync-start ${path} [${held}]`)
    return path
  }
  const fsync = (fd: number, cb: (e: NodeJS.ErrnoException | null) => void): void => {
    const path = syncStarts(fd)
    fs.fsync(fd, (e) => {
      log.push(`fsync-end ${path}`)
      cb(e)
    })
  }
  // the same, for a sync run in place (see FileSteps)
  const fsyncSync = (fd: number): void => {
    const path = syncStarts(fd)
    fs.fsyncSync(fd)
    log.push(`fsync-end ${path}`)
  }
  const rename = (from: string, to: string, cb: (e: NodeJS.ErrnoException | null) => void): void => {
    log.push(`rename-start ${to}`)
    onRename.f('start')
    if (failRenames.has(to)) return void setImmediate(() => cb(Object.assign(new Error('injected'), { code: 'EIO' })))
    fs.rename(from, to, (e) => {
      if (e === null) log.push(`rename-done ${to}`)
      if (e === null) onRename.f('done')
      cb(e)
    })
  }
  // the same, for a rename run in place (see FileSteps)
  const renameSync = (from: string, to: string): void => {
    log.push(`rename-start ${to}`)
    onRename.f('start')
    if (failRenames.has(to)) throw Object.assign(new Error('injected'), { code: 'EIO' })
    fs.renameSync(from, to)
    log.push(`rename-done ${to}`)
    onRename.f('done')
  }
  const mocked = { fsync, fsyncSync, rename, renameSync }
  return { ...fs, default: { ...fs, ...mocked }, ...mocked }
})

const { DeliveryAbortedError, Maildir, FileSteps, StoreError } = await import('../src/index.js')

/** Each property runs with the renames and the folder syncs in place, and in the thread pool. */
const placements = [
  ['steps in place', true],
  ['steps in the thread pool', false],
] as const
/** A store's options for a placement; the clock stands still, so no step leaves it however loaded the machine. */
const placed = (inline: boolean) => ({
  metadataSteps: new FileSteps({ inline, now: () => 0 }),
  syncSteps: new FileSteps({ inline, now: () => 0 }),
})

async function* chunks(parts: ReadonlyArray<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const tick = () => new Promise<void>((r) => setImmediate(r))

/** The index of the first entry at or after `from` that `test` accepts, or -1. */
const findFrom = (from: number, test: (s: string) => boolean): number => {
  for (let i = Math.max(0, from); i < log.length; i++) if (test(log[i]!)) return i
  return -1
}

describe.each(placements)('the durable steps of a delivery, %s', (_, inline) => {
  it('come in order: writes and syncs, rename, new/ synced after it, then the outcome', async () => {
    await fc.assert(
      fc.asyncProperty(
        ...deliveryShape,
        fc.option(fc.nat({ max: 3 })),
        fc.boolean(),
        async (copies, synced, flushOctets, parts, failing, slow) => {
          const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-order-'))
          log.length = 0
          failRenames.clear()
          const { openFile, ledger } = fakeFiles({ synced, before: () => (slow ? tick() : undefined) })
          ledger.done = (step, path) => log.push(`${step}-done ${path}`)
          const store = new Maildir(root, { openFile, flushOctets, ...placed(inline) })
          const addresses = Array.from({ length: copies }, (_, i) => `r${i}@x.example`)
          const targets = addresses.map((address) => ({ address, head }))
          const d = store.begin(targets)
          // the final paths are known once the files are open (their names in tmp/)
          const stream = async function* (): AsyncIterable<Uint8Array> {
            yield* chunks(parts)
          }
          const opened = new Promise<void>((resolve) => {
            const check = (): void => (ledger.closes.size === copies ? resolve() : void setImmediate(check))
            check()
          })
          await opened
          const tmps = [...ledger.closes.keys()]
          const finals = tmps.map((t) => join(dirname(dirname(t)), 'new', basename(t)))
          if (failing !== null && failing < copies) failRenames.add(finals[failing]!)
          const outcome = await d.writeAll(stream()).then(
            () => 'resolved',
            (e: unknown) => e,
          )
          log.push(typeof outcome === 'string' ? 'resolved' : 'rejected')
          const end = log.length - 1

          for (const [i, final] of finals.entries()) {
            const tmp = tmps[i]!
            const started = findFrom(0, (s) => s === `rename-start ${final}`)
            expect(started).toBeGreaterThan(-1)
            // every step on the file started before the rename has ended before it
            const before = log.slice(0, started)
            const writes = ledger.steps.filter((s) => s === `writev ${tmp}`).length
            expect(before.filter((s) => s === `writev-done ${tmp}`).length).toBe(writes)
            if (!synced) {
              const lastWrite = before.lastIndexOf(`writev-done ${tmp}`)
              expect(before.lastIndexOf(`sync-done ${tmp}`)).toBeGreaterThan(lastWrite)
            }
          }
          const inboxOf = (final: string) => dirname(final)
          if (outcome === 'resolved') {
            expect(failing === null || failing >= copies).toBe(true)
            for (const final of finals) {
              const renamed = findFrom(0, (s) => s === `rename-done ${final}`)
              const syncStart = findFrom(renamed, (s) => s.startsWith(`fsync-start ${inboxOf(final)} [`))
              expect(syncStart).toBeGreaterThan(renamed)
              const syncEnd = findFrom(syncStart, (s) => s === `fsync-end ${inboxOf(final)}`)
              expect(syncEnd).toBeGreaterThan(syncStart)
              expect(syncEnd).toBeLessThan(end)
            }
          } else {
            expect(outcome).toBeInstanceOf(StoreError)
            for (const final of finals) {
              expect(readdirSync(inboxOf(final))).not.toContain(basename(final))
              const renamed = findFrom(0, (s) => s === `rename-done ${final}`)
              if (renamed === -1) continue
              // a sync of its new/ that began once the copy was gone, ended before the outcome
              const gone = findFrom(
                renamed,
                (s) =>
                  s.startsWith(`fsync-start ${inboxOf(final)} [`) && !s.slice(s.indexOf('[')).includes(basename(final)),
              )
              expect(gone).toBeGreaterThan(renamed)
              const syncEnd = findFrom(gone, (s) => s === `fsync-end ${inboxOf(final)}`)
              expect(syncEnd).toBeGreaterThan(gone)
              expect(syncEnd).toBeLessThan(end)
            }
          }
          // the first rename always runs in place when it may (the average starts at nothing)
          // every step ran where it was put
          const { metadataSteps: m, syncSteps: y } = store
          if (inline)
            expect([m.inlineSteps > 0, m.pooledSteps, y.inlineSteps > 0, y.pooledSteps]).toEqual([true, 0, true, 0])
          else expect([m.inlineSteps, m.pooledSteps > 0, y.inlineSteps, y.pooledSteps > 0]).toEqual([0, true, 0, true])
          await store.close()
          rmSync(root, { recursive: true })
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe.each(placements)('a delivery called off while its copies are renamed, %s', (_, inline) => {
  it('by its signal or by abort(), at any rename: DeliveryAbortedError, nothing in new/, the removal synced', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.nat({ max: 7 }),
        fc.constantFrom('signal' as const, 'abort' as const),
        async (copies, at, by) => {
          const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-order-'))
          log.length = 0
          failRenames.clear()
          const store = new Maildir(root, { ...placed(inline) })
          const targets = Array.from({ length: copies }, (_, i) => ({ address: `r${i}@x.example`, head }))
          const dirs = targets.map((t) => store.folder(t.address))
          await Promise.all(dirs.map((d) => store.ensure(d)))
          const controller = new AbortController()
          const d = store.begin(targets)
          let aborting: Promise<void> | undefined
          let n = 0
          // the renames' starts and ends, in turn: the call lands at the at-th of them
          onRename.f = () => {
            if (n++ !== Math.min(at, 2 * copies - 1)) return
            if (by === 'signal') controller.abort(new Error('close deadline'))
            else aborting = d.abort()
          }
          const outcome = await d.writeAll(chunks([new TextEncoder().encode('hi\r\n')]), controller.signal).then(
            () => 'resolved',
            (e: unknown) => e,
          )
          await aborting
          onRename.f = () => undefined
          log.push('settled')
          expect(outcome).toBeInstanceOf(DeliveryAbortedError)
          for (const dir of dirs) {
            expect(readdirSync(join(dir, 'new'))).toEqual([])
            expect(readdirSync(join(dir, 'tmp'))).toEqual([])
            // the last sync of this new/ began with the folder empty, and ended before the outcome
            let last = -1
            log.forEach((e, i) => (e.startsWith(`fsync-start ${join(dir, 'new')} [`) ? (last = i) : undefined))
            if (log.some((e) => e.startsWith(`rename-done ${join(dir, 'new')}`))) {
              expect(log[last]).toBe(`fsync-start ${join(dir, 'new')} []`)
              expect(findFrom(last, (e) => e === `fsync-end ${join(dir, 'new')}`)).toBeLessThan(log.indexOf('settled'))
            }
          }
          // the first rename always runs in place when it may (the average starts at nothing)
          // every step ran where it was put
          const { metadataSteps: m, syncSteps: y } = store
          if (inline)
            expect([m.inlineSteps > 0, m.pooledSteps, y.inlineSteps > 0, y.pooledSteps]).toEqual([true, 0, true, 0])
          else expect([m.inlineSteps, m.pooledSteps > 0, y.inlineSteps, y.pooledSteps > 0]).toEqual([0, true, 0, true])
          await store.close()
          rmSync(root, { recursive: true })
        },
      ),
      { numRuns: 60 },
    )
  })
})

// Faults found by using the worker path of a delivery with many copies as a user would, each checked here:
// - a worker that dies while the store is being closed hung the delivery that held it;
// - a worker that dies after it ran a batch of renames but before its answer came back left the copies in new/
//   after a 451 (the client's retry then delivered the message twice);
// - folders forgotten after a failure while the store is being closed kept their handles in the worker, so a
//   folder removed and made again was synced through a handle on the removed one;
// - on Bun, each closed store kept its worker's folder handles open (Bun leaves a worker's files open);
// - the worker keeps folder handles of its own beside the event loop's: twice `folderHandles` in all, which
//   docs/deployment.md's budget of descriptors says for a store given the worker;
// - a step that cannot be copied to the worker (a detached buffer) threw out of the turn that sends the batch,
//   crashing the process and leaving every step of the batch waiting.
// - with copies landing separately, a copy whose rename on the worker was made but reported failed was taken
//   back out of new/ without a sync of new/, so a crash could bring back a copy its client heard 451 for.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { Maildir, StoreError } from '../src/index.js'
import {
  addresses,
  chunks,
  contents,
  enc,
  newRoot,
  removeRootsAfterEach,
  steady,
  targets,
  workerOf,
} from './worker-fixture.js'

removeRootsAfterEach()

/** What a promise settles with, or 'hung' when it has not settled after a long while (a generous bound). */
const settled = (p: Promise<unknown>, ms = 15000): Promise<unknown> =>
  Promise.race([
    p.then(
      () => 'resolved',
      (e: unknown) => e,
    ),
    new Promise((r) => setTimeout(() => r('hung'), ms).unref()),
  ])

describe('a worker that dies', () => {
  it('while the store is being closed fails the delivery holding it (451, nothing left), and does not hang it', async () => {
    // each write is flushed: once `write` resolves, the files are open and written on the worker
    const store = new Maildir(newRoot(), { ...steady(), flushOctets: 1 })
    const list = addresses(10)
    const delivery = store.begin(targets(list))
    await delivery.write(enc('Subject: x\r\n\r\n'))
    const worker = workerOf(store)
    expect(worker).toBeDefined()
    await store.close() // the delivery still holds the worker
    await worker!.terminate() // as a crash would end it, between two batches
    const e = await settled(delivery.writeAll(chunks(enc('body\r\n'))))
    expect(e).toBeInstanceOf(StoreError)
    expect((e as StoreError).reply.code).toBe(451)
    expect(contents(store, list, 'tmp')).toEqual(list.map(() => []))
    expect(contents(store, list, 'new')).toEqual(list.map(() => []))
    expect(await settled(store.workerSteps.stop())).toBe('resolved')
  })

  it('after it ran a batch of renames but before its answer came back leaves nothing in new/', async () => {
    const store = new Maildir(newRoot(), steady())
    const list = addresses(10)
    await store.begin(targets(list)).writeAll(chunks(enc('Subject: first\r\n\r\n'))) // the worker runs
    const worker = workerOf(store)!
    // The answer to the renames' batch is lost and the worker ends, as it would if it were killed between its
    // last rename and its answer: the renames were made, the store never heard of them.
    let renaming = false
    let movedWhenKilled = 0
    const rename = store.workerSteps.rename.bind(store.workerSteps)
    store.workerSteps.rename = (from, to) => {
      renaming = true
      return rename(from, to)
    }
    const emit = worker.emit.bind(worker)
    worker.emit = ((event: string, ...args: unknown[]): boolean => {
      if (event !== 'message' || !renaming) return emit(event, ...args)
      renaming = false
      movedWhenKilled = contents(store, list, 'new').flat().length
      void worker.terminate()
      return true
    }) as Worker['emit']
    const e = await settled(store.begin(targets(list)).writeAll(chunks(enc('Subject: second\r\n\r\n'))))
    expect(movedWhenKilled).toBe(20) // the worker had renamed the ten copies
    expect(e).toBeInstanceOf(StoreError)
    expect((e as StoreError).reply.code).toBe(451)
    // the client hears 451 and sends again: the second message must not be delivered now
    expect(contents(store, list, 'new')).toEqual(list.map((a) => [`Delivered-To: ${a}\r\nSubject: first\r\n\r\n`]))
    expect(contents(store, list, 'tmp')).toEqual(list.map(() => []))
    await store.close()
  })
})

describe('copies landing separately (LMTP), one of whose renames was made but reported failed', () => {
  it('take that copy back out of new/ and sync new/ after the removal, and deliver the others', async () => {
    const store = new Maildir(newRoot(), steady())
    const list = addresses(10)
    await store.begin(targets(list)).writeAll(chunks(enc('Subject: first\r\n\r\n'))) // the worker runs
    // the rename into the third address's new/ is made, but its answer is lost, as when the worker dies
    // between the rename and its answer
    const struck = join(store.folder(list[2]!), 'new')
    const events: string[] = []
    const rename = store.workerSteps.rename.bind(store.workerSteps)
    store.workerSteps.rename = (from, to) =>
      rename(from, to).then(() => {
        if (to.startsWith(struck + '/')) {
          events.push('renamed')
          throw Object.assign(new Error('worker ended'), { code: 'EIO' })
        }
      })
    const sync = store.folders.sync.bind(store.folders)
    store.folders.sync = (dir: string) => {
      if (dir === struck) events.push(`sync, ${contents(store, [list[2]!], 'new')[0]!.length} in new/`)
      return sync(dir)
    }
    const delivery = store.begin(targets(list), { separately: true })
    await delivery.writeAll(chunks(enc('Subject: second\r\n\r\n')))
    expect(delivery.failures.map((f) => f?.reply.code)).toEqual(list.map((_, i) => (i === 2 ? 451 : undefined)))
    // the copy reported 451 is gone from new/, and the removal reached the disk before the delivery ended
    expect(events).toEqual(['renamed', 'sync, 1 in new/'])
    expect(contents(store, list, 'new').map((files) => files.length)).toEqual(list.map((_, i) => (i === 2 ? 1 : 2)))
    expect(contents(store, list, 'tmp')).toEqual(list.map(() => []))
    await store.close()
  })
})

/** What this process's descriptors point to under `root` that was removed (Linux). */
const removedFolders = (root: string): string[] =>
  readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(join('/proc/self/fd', fd))
      return target.startsWith(root) && target.endsWith(' (deleted)') ? [target.slice(root.length)] : []
    } catch {
      return [] // closed meanwhile
    }
  })

describe('a folder removed behind the store while it is being closed', () => {
  it('is synced through a fresh handle on the worker once made again, as on the event loop', async () => {
    const root = newRoot()
    // each write is flushed (its files are open once it resolves); ten files at once across the store
    const store = new Maildir(root, { ...steady(), workerCopies: 2, openFiles: 10, flushOctets: 1 })
    const list = addresses(10)
    // until the worker's steps have been quick for a spell, it takes one delivery at a time: here, every one
    for (let i = 0; i < 10 && !store.workerTiming.settled; i++)
      await store.begin(targets(list)).writeAll(chunks(enc('Subject: warm\r\n\r\n')))
    expect(store.workerTiming.settled).toBe(true)
    const pick = (...n: number[]): string[] => n.map((i) => list[i]!)
    const started = async (to: ReadonlyArray<string>) => {
      const d = store.begin(targets(to))
      await d.write(enc('Subject: x\r\n\r\n'))
      return d
    }
    const kept = await started(pick(5, 6)) // holds the worker until the end
    const failing = await started(pick(0, 1))
    const other = await started(pick(2, 3, 4))
    // six files: it waits until both `failing` and `other` have given theirs back
    const waiting = store.begin(targets(pick(0, 7, 8, 9, 1, 2)))
    expect(store.workerSteps.holding).toBe(4)
    rmSync(store.folder(list[0]!), { recursive: true })
    await store.close()
    expect(await settled(failing.writeAll(chunks(enc('body\r\n'))))).toBeInstanceOf(StoreError)
    // the failure made the store forget its folders: the next delivery to r0 makes them again
    expect(await settled(other.writeAll(chunks(enc('body\r\n'))))).toBe('resolved')
    await waiting.write(enc('Subject: y\r\n\r\n'))
    expect(await settled(waiting.writeAll(chunks(enc('body\r\n'))))).toBe('resolved')
    expect(contents(store, [list[0]!], 'new')).toEqual([[`Delivered-To: ${list[0]}\r\nSubject: y\r\n\r\nbody\r\n`]])
    // its new/ was synced through a handle on the folder made again, not on the one removed
    expect(removedFolders(root)).toEqual([])
    await kept.abort()
  })
})

describe('a store closed on each runtime', () => {
  // The built package (`npm test` builds first), run by the runtime itself.
  const built = pathToFileURL(join(__dirname, '..', 'dist', 'index.js')).href
  const runtimes: ReadonlyArray<readonly [string, string]> = [
    ['node', process.execPath],
    ['bun', join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'bun')],
  ]
  it.each(runtimes)(
    'keeps no descriptor of its worker once the worker has stopped (%s)',
    (_, runtime) => {
      const root = newRoot()
      const script = join(root, 'close.mjs')
      writeFileSync(
        script,
        `
      import { readdirSync, readlinkSync } from 'node:fs'
      import { FileSteps, Maildir } from ${JSON.stringify(built)}
      const enc = (s) => new TextEncoder().encode(s)
      async function* chunks(...parts) { yield* parts }
      const store = new Maildir(${JSON.stringify(join(root, 'mail'))}, { workerCopies: 8, workerTiming: new FileSteps({ slowMs: 1e6 }) })
      const targets = Array.from({ length: 10 }, (_, i) => ({ address: 'r' + i + '@x.example', head: enc('X: ' + i + '\\r\\n') }))
      await store.begin(targets).writeAll(chunks(enc('Subject: x\\r\\n\\r\\nhi\\r\\n')))
      await store.close()
      await store.workerSteps.stop()
      const kept = readdirSync('/proc/self/fd').flatMap((fd) => {
        try { const t = readlinkSync('/proc/self/fd/' + fd); return t.includes('/mail') ? [t] : [] } catch { return [] }
      })
      console.log(JSON.stringify({ steps: store.workerSteps.steps, kept }))`,
      )
      const r = spawnSync(runtime, [script], { encoding: 'utf8', timeout: 60000 })
      expect(r.error).toBeUndefined()
      expect(r.stderr).toBe('')
      expect(JSON.parse(r.stdout) as unknown).toEqual({ steps: expect.any(Number), kept: [] })
      expect((JSON.parse(r.stdout) as { steps: number }).steps).toBeGreaterThan(0)
    },
    90000,
  )
})

describe('the folder handles a store keeps', () => {
  /** The folders under `root` this process holds a descriptor on (Linux). */
  const heldFolders = (root: string): string[] =>
    readdirSync('/proc/self/fd').flatMap((fd) => {
      try {
        const target = readlinkSync(join('/proc/self/fd', fd))
        return target.startsWith(root) && statSync(target).isDirectory() ? [target] : []
      } catch {
        return [] // closed meanwhile
      }
    })

  it('are up to twice folderHandles (the event loop keeps its own, the worker its own), as docs/deployment.md says', async () => {
    const root = newRoot()
    const store = new Maildir(root, { ...steady(), folderHandles: 4 })
    const body = enc('Subject: x\r\n\r\n')
    // on the worker: new/ folders of 32 mailboxes; then in place: eight more mailboxes, one at a time
    for (let k = 0; k < 4; k++) await store.begin(targets(addresses(40).slice(k * 8, k * 8 + 8))).writeAll(chunks(body))
    for (const a of addresses(48).slice(40)) await store.begin(targets([a])).writeAll(chunks(body))
    expect(store.workerSteps.steps).toBeGreaterThan(0)
    const held = heldFolders(root)
    expect(held.length).toBeGreaterThan(4)
    expect(held.length).toBeLessThanOrEqual(8)
    const doc = readFileSync(new URL('../../../docs/deployment.md', import.meta.url), 'utf8')
    expect(doc).toMatch(
      /\| handles on folders kept for their syncs +\| 256 \(`folderHandles` of `@smtpure\/maildir`; twice that for a store given a worker thread/,
    )
    await store.close()
  })
})

describe('a step the worker cannot be sent', () => {
  it('fails its delivery alone (451, nothing left), not the others of its batch, and throws out of no turn', async () => {
    const store = new Maildir(newRoot(), steady())
    const list = addresses(20)
    // until the worker's steps have been quick for a spell, it takes one delivery at a time: here, both
    for (let i = 0; i < 10 && !store.workerTiming.settled; i++)
      await store.begin(targets(list)).writeAll(chunks(enc('Subject: warm\r\n\r\n')))
    const [bad, good] = [list.slice(0, 10), list.slice(10)]
    const spoilt = store.begin(targets(bad))
    const fine = store.begin(targets(good))
    expect(store.workerSteps.holding).toBe(2)
    const chunk = new Uint8Array(new ArrayBuffer(20))
    chunk.set(enc('Subject: x\r\n\r\nbody\r\n'))
    await spoilt.write(chunk) // gathered, not written yet
    await fine.write(enc('Subject: y\r\n\r\nbody\r\n'))
    // its octets are moved elsewhere: a detached buffer cannot be copied to the worker (DataCloneError)
    structuredClone(chunk.buffer, { transfer: [chunk.buffer as ArrayBuffer] })
    const before = contents(store, list, 'new')
    // committed together: their writes go to the worker in one batch
    const [e, ok] = await Promise.all([settled(spoilt.commit()), settled(fine.commit())])
    expect(e).toBeInstanceOf(StoreError)
    expect((e as StoreError).reply.code).toBe(451)
    expect(ok).toBe('resolved')
    expect(contents(store, list, 'tmp')).toEqual(list.map(() => []))
    const added = contents(store, list, 'new').map((files, i) => files.filter((f) => !before[i]!.includes(f)))
    expect(added).toEqual([
      ...bad.map(() => []),
      ...good.map((a) => [`Delivered-To: ${a}\r\nSubject: y\r\n\r\nbody\r\n`]),
    ])
    await store.close()
  })
})

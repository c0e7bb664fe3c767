// A delivery with many copies runs its opens, writes, closes, renames and folder syncs on the store's worker
// thread, in batches; fewer copies never start it. A closed store's worker stops once the deliveries using it
// end; a worker that fails fails the deliveries using it (451, nothing left behind), and later ones run on the
// event loop.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { FileSteps, Maildir, type MaildirOptions, StoreError } from '../src/index.js'
import {
  addresses,
  chunks,
  contents,
  enc,
  newRoot,
  removeRootsAfterEach,
  steady,
  targets,
  untilOpen,
  workerOf,
} from './worker-fixture.js'

removeRootsAfterEach()

/** Open descriptors of this process (Linux). */
const openFds = (): number => readdirSync('/proc/self/fd').length

describe('a delivery with many copies runs its file steps on the worker', () => {
  it('delivers every copy whole, with its own head, in a few batches', async () => {
    const store = new Maildir(newRoot(), steady())
    const list = addresses(12)
    // the body in views into larger buffers, at offsets: they reach the worker as their own octets
    const big = enc('xxxxSubject: hi\r\n\r\nline one\r\nline two\r\nyyyy')
    await store.begin(targets(list)).writeAll(chunks(big.subarray(4, 21), big.subarray(21, big.length - 4)))
    const before = store.workerSteps.batches
    await store.begin(targets(list)).writeAll(chunks(enc('Subject: again\r\n\r\nsecond\r\n')))
    expect(contents(store, list, 'tmp')).toEqual(list.map(() => []))
    const got = contents(store, list, 'new').map((files) => [...files].sort())
    expect(got).toEqual(
      list.map((a) =>
        [
          `Delivered-To: ${a}\r\nSubject: again\r\n\r\nsecond\r\n`,
          `Delivered-To: ${a}\r\nSubject: hi\r\n\r\nline one\r\nline two\r\n`,
        ].sort(),
      ),
    )
    // 12 opens, writes, renames and closes, and 12 folder syncs: five steps a copy, in one batch a kind
    expect(store.workerSteps.steps).toBeGreaterThanOrEqual(2 * 12 * 5)
    expect(store.workerSteps.batches - before).toBeLessThanOrEqual(4)
    expect(store.metadataSteps.inlineSteps + store.metadataSteps.pooledSteps).toBe(0)
    await store.close()
  })

  it('is used from `workerCopies` copies on, never by default or with Infinity, steps kept in the pool or an own openFile', async () => {
    const runs = async (options: MaildirOptions, copies: number, base: MaildirOptions = steady()): Promise<boolean> => {
      const store = new Maildir(newRoot(), { ...base, ...options })
      await store.begin(targets(addresses(copies))).writeAll(chunks(enc('Subject: x\r\n\r\nx\r\n')))
      await store.close()
      return store.workerSteps.steps > 0
    }
    expect(await runs({}, 7)).toBe(false) // steady() asks for the worker from 8 copies
    expect(await runs({}, 8)).toBe(true)
    expect(await runs({ workerTiming: steady().workerTiming }, 100, {})).toBe(false) // the default: never (serve takes up to 100)
    expect(await runs({ workerCopies: 2 }, 2)).toBe(true)
    expect(await runs({ workerCopies: Infinity }, 30)).toBe(false)
    // steps kept in the thread pool on purpose (`smtpure serve --maildir-steps pool`): no worker either
    expect(await runs({ metadataSteps: new FileSteps({ inline: false }) }, 9)).toBe(false)
    expect(await runs({ syncSteps: new FileSteps({ inline: false }) }, 9)).toBe(false)
    const fsOpen = new Maildir(newRoot()).openFile
    expect(await runs({ openFile: (p) => fsOpen(p) }, 9)).toBe(false)
    expect(() => new Maildir(newRoot(), { workerCopies: 0 })).toThrow(RangeError)
    expect(() => new Maildir(newRoot(), { workerCopies: 2.5 })).toThrow(RangeError)
  })

  it('takes one delivery at a time until its steps have been quick for a spell, then every one', async () => {
    const store = new Maildir(newRoot(), steady())
    const list = addresses(40) // five steps a copy: more than the worker's first steps (not timed) and a spell
    const onWorker = async (n: number): Promise<boolean[]> => {
      // begun together; a delivery that takes the worker holds it from its begin
      const held: boolean[] = []
      const ds = Array.from({ length: n }, () => {
        const before = store.workerSteps.holding
        const d = store.begin(targets(list))
        held.push(store.workerSteps.holding > before)
        return d
      })
      await Promise.all(ds.map((d) => d.writeAll(chunks(enc('Subject: x\r\n\r\nx\r\n')))))
      return held
    }
    expect(await onWorker(3)).toEqual([true, false, false]) // a fresh store: one shows what the disk does
    expect(store.workerTiming.settled).toBe(true) // its steps, past the worker's first, make a spell
    expect(await onWorker(3)).toEqual([true, true, true])
    expect(contents(store, list, 'new').map((f) => f.length)).toEqual(list.map(() => 6))
    await store.close()
  })

  it('is left while its steps are slow on average (a disk that waits), and taken again after', async () => {
    let t = 0
    const workerTiming = new FileSteps({ now: () => t, maxPoolMs: 60000 })
    const store = new Maildir(newRoot(), { workerCopies: 8, workerTiming })
    const list = addresses(10)
    const deliver = async (): Promise<number> => {
      const before = store.workerSteps.steps
      await store.begin(targets(list)).writeAll(chunks(enc('Subject: x\r\n\r\nx\r\n')))
      return store.workerSteps.steps - before
    }
    expect(await deliver()).toBeGreaterThan(0)
    for (let i = 0; i < 8; i++) workerTiming.record(5) // durable writes of 5 ms each, as the worker reports them
    expect(workerTiming.inPlace).toBe(false)
    expect(await deliver()).toBe(0) // by the event loop's own rule instead (its writes side by side in the pool)
    t += 10 * 60 * 1000 // past the longest while
    expect(await deliver()).toBeGreaterThan(0)
    expect(contents(store, list, 'new').map((f) => f.length)).toEqual(list.map(() => 3))
    await store.close()
  })

  it('streams a message larger than flushOctets in order to every copy', async () => {
    const store = new Maildir(newRoot(), { ...steady(), flushOctets: 64 })
    const list = addresses(9)
    const lines = Array.from({ length: 40 }, (_, i) =>
      enc(`line ${i} of a message that is written in many flushes\r\n`),
    )
    await store.begin(targets(list)).writeAll(chunks(...lines))
    const text = lines.map((l) => new TextDecoder().decode(l)).join('')
    expect(contents(store, list, 'new')).toEqual(list.map((a) => [`Delivered-To: ${a}\r\n${text}`]))
    expect(store.workerSteps.steps).toBeGreaterThan(0)
    await store.close()
  })
})

describe('when the worker stops', () => {
  it('a delivery running when the store is closed ends on the worker, which then stops; later ones run here', async () => {
    const store = new Maildir(newRoot(), steady())
    const list = addresses(10)
    const delivery = store.begin(targets(list))
    await delivery.write(enc('Subject: x\r\n\r\n'))
    await untilOpen(store, list) // the files are open, on the worker
    await store.close()
    expect(store.workerSteps.usable).toBe(false)
    const worker = (): unknown => workerOf(store)
    expect(worker()).toBeDefined() // held by the delivery
    await delivery.writeAll(chunks(enc('body\r\n')))
    expect(contents(store, list, 'new')).toEqual(list.map((a) => [`Delivered-To: ${a}\r\nSubject: x\r\n\r\nbody\r\n`]))
    await store.workerSteps.stop()
    expect(worker()).toBeUndefined()
    const steps = store.workerSteps.steps
    await store.begin(targets(list)).writeAll(chunks(enc('Subject: later\r\n\r\n')))
    expect(store.workerSteps.steps).toBe(steps) // on the event loop
    expect(contents(store, list, 'new').map((f) => f.length)).toEqual(list.map(() => 2))
  })

  it('a worker that dies fails the steps it had (451, nothing left, no descriptor kept); the next delivery runs', async () => {
    const store = new Maildir(newRoot(), steady())
    const list = addresses(10)
    await store.begin(targets(list)).writeAll(chunks(enc('Subject: first\r\n\r\n')))
    const fds = openFds()
    const delivery = store.begin(targets(list))
    await delivery.write(enc('Subject: x\r\n\r\n'))
    await untilOpen(store, list) // the ten files are open
    expect(openFds()).toBeGreaterThanOrEqual(fds + 10)
    const worker = workerOf(store)
    expect(worker).toBeDefined()
    const committed = delivery.writeAll(chunks(enc('body\r\n'))).then(
      () => undefined,
      (e: unknown) => e,
    )
    await worker!.terminate() // as a crash would end it, with the writes out
    const e = await committed
    expect(e).toBeInstanceOf(StoreError)
    expect((e as StoreError).reply.code).toBe(451)
    expect(store.workerSteps.usable).toBe(false)
    expect(contents(store, list, 'tmp')).toEqual(list.map(() => []))
    expect(contents(store, list, 'new').map((f) => f.length)).toEqual(list.map(() => 1))
    expect(openFds()).toBeLessThanOrEqual(fds)
    await store.begin(targets(list)).writeAll(chunks(enc('Subject: after\r\n\r\n')))
    expect(contents(store, list, 'new').map((f) => f.length)).toEqual(list.map(() => 2))
    await store.close()
  })
})

describe('the worker and the process', () => {
  // The built package (`npm test` builds first), as a program uses it: no `close`, and the process must still
  // end once the delivery has resolved (the worker holds it open only while a batch is out), and not before.
  const built = join(__dirname, '..', 'dist', 'index.js')
  it('holds the process open while a batch is out, and not once it is idle', () => {
    const root = newRoot()
    const script = `
      import { Maildir } from ${JSON.stringify(pathToFileURL(built).href)}
      const store = new Maildir(${JSON.stringify(root)}, { workerCopies: 8 })
      const enc = (s) => new TextEncoder().encode(s)
      const targets = Array.from({ length: 20 }, (_, i) => ({ address: 'r' + i + '@x.example', head: enc('X: ' + i + '\\r\\n') }))
      const d = store.begin(targets)
      d.write(enc('Subject: x\\r\\n\\r\\nhi\\r\\n'))
      d.commit().then(() => console.log('delivered', store.workerSteps.steps))`
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 })
    expect(r.error).toBeUndefined() // no timeout: the idle worker let the process end
    expect({ out: r.stdout, err: r.stderr }).toEqual({ out: expect.stringMatching(/^delivered [1-9]\d*\n$/), err: '' })
    expect(readdirSync(root).length).toBe(20)
  })
})

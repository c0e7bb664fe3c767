// docs/deployment.md, "The thread pool": the figures it gives for where the quick steps run are those of a
// FileSteps made with no options (the store's default), checked on a clock that each step moves on; and those
// it gives for the worker thread, checked on a store.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FileSteps, Maildir } from '../src/index.js'

const doc = readFileSync(new URL('../../../docs/deployment.md', import.meta.url), 'utf8').replace(/\s+/g, ' ')

/** Default steps on a clock: `step(ms)` runs one that takes `ms` and says whether it ran in place. */
const defaults = () => {
  let t = 0
  const steps = new FileSteps({ now: () => t })
  const step = (ms: number): Promise<boolean> =>
    steps.run(
      () => {
        t += ms
        return true
      },
      (done) => done(null, false),
    )
  /** A spell of `n` quick steps, one a millisecond. */
  const spell = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await step(0.005)
      t += 1
    }
  }
  /** How long the steps stay in the thread pool from now, to the millisecond. */
  const away = async (): Promise<number> => {
    let ms = 0
    while (!(await step(0.005))) {
      t += 1
      ms += 1
    }
    return ms
  }
  return { step, spell, away }
}

describe('docs/deployment.md: the thread pool', () => {
  it('a running average over 50 µs, each time counting as at most 200 µs, sends the steps to the pool', async () => {
    expect(doc).toContain('once a running average of their times passes 50 µs (each time counting as at most 200 µs)')
    const { step, spell } = defaults()
    await spell(100)
    // times of 0.2 ms and of 0.9 ms count the same: four of them leave the average under 50 µs, the fifth not
    const where = [await step(0.9), await step(0.2), await step(0.9), await step(0.2), await step(0.9), await step(0)]
    expect(where).toEqual([true, true, true, true, true, false])
  })

  it('steps over a millisecond spend a budget a spell earns, a millisecond for every 20 ms, at most 20 ms', async () => {
    expect(doc).toContain('or steps that take over a millisecond overdraw what they may stall the event loop for')
    expect(doc).toContain(
      'a spell in place earns a millisecond of stall for every 20 ms it lasts and keeps at most 20 ms of it, and each step over a millisecond spends its own time',
    )
    const { step, spell, away } = defaults()
    await spell(100) // 100.5 ms in place: 5 ms to spend
    expect(await step(1)).toBe(true) // exactly a millisecond: not a slow step
    await step(4) // a preempted step, paid for
    expect(await away()).toBe(0)
    await spell(20)
    await step(3) // 6.4 ms earned so far (128.6 ms), 7 ms spent
    expect(await away()).toBe(50)
  })

  it('the while is 20 times the overdraft, at least 50 ms after a long spell, and doubles up to 5 s while each try is short', async () => {
    expect(doc).toContain('the while then lasts 20 times the overdraft, and at least 50 ms after a long spell in place')
    expect(doc).toContain('It doubles up to 5 s while each try in place is short')
    const { step, spell, away } = defaults()
    await spell(100)
    await step(6) // overdrawn by 0.6 ms: 12 ms, so 50
    const whiles = [await away()]
    for (let i = 0; i < 8; i++) {
      await step(2) // a spell starts with nothing to spend
      whiles.push(await away())
    }
    expect(whiles).toEqual([50, 100, 200, 400, 800, 1600, 3200, 5000, 5000])
  })

  it('a step slow now and then stalls the event loop for at most a twentieth of the time (overdrafts up to 250 ms)', async () => {
    expect(doc).toContain(
      'a twentieth of the time (for overdrafts up to 250 ms; a longer one is followed by 5 s in the pool)',
    )
    const { step, spell, away } = defaults()
    await spell(300) // 301.5 ms in place: 15 ms to spend
    await step(100) // 20 ms (the most kept) less 100 ms: 80 ms overdrawn, 1600 ms in the pool
    expect(await away()).toBe(1600)
    await spell(300)
    await step(400)
    expect(await away()).toBe(5000)
  })

  it('a file system that turns slow after a long quiet spell stalls the event loop for 20 ms and one step', async () => {
    expect(doc).toContain(
      'one that turns slow after a long quiet spell stalls it for at most 20 ms and one step before the steps move',
    )
    const { step, spell } = defaults()
    await spell(1000)
    const where: boolean[] = []
    for (let i = 0; i < 6; i++) where.push(await step(6))
    expect(where).toEqual([true, true, true, true, false, false]) // 24 ms in place
  })
})

describe('docs/deployment.md: the worker thread', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
  async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
    yield* parts
  }

  it('takes a delivery of 8 copies or more, by default', () => {
    expect(doc).toContain('So a delivery of 8 copies or more (`workerCopies`) takes its steps on a worker thread')
    const store = new Maildir(mkdtempSync(join(tmpdir(), 'smtpure-docs-worker-')))
    expect(store.workerFor(7)).toBeUndefined()
    const worker = store.workerFor(8)
    expect(worker).toBe(store.workerSteps)
    worker!.release()
    rmSync(store.root, { recursive: true })
  })

  it('leaves out the first 16 steps of each kind, and needs a spell of 64 before every delivery goes there', async () => {
    expect(doc).toContain('the first 16 steps of each kind left out while the worker')
    expect(doc).toContain(
      'Until its steps have been quick for a spell of 64, one delivery at a time goes to the worker',
    )
    const root = mkdtempSync(join(tmpdir(), 'smtpure-docs-worker-'))
    const workerTiming = new FileSteps({ slowMs: 1e6 })
    const times: number[] = []
    const record = workerTiming.record.bind(workerTiming)
    workerTiming.record = (ms: number) => {
      times.push(ms)
      record(ms)
    }
    const store = new Maildir(root, { workerCopies: 1, workerTiming })
    const deliver = () =>
      store.begin([{ address: 'a@x.example', head: enc('X: 1\r\n') }]).writeAll(chunks(enc('hi\r\n')))
    for (let i = 0; i < 16; i++) await deliver() // one open, write, close, rename and folder sync each
    expect(times).toHaveLength(0)
    await deliver()
    expect(times).toHaveLength(5)
    for (let i = 0; i < 11; i++) await deliver()
    expect(times).toHaveLength(60)
    expect(workerTiming.settled).toBe(false)
    await deliver()
    expect(workerTiming.settled).toBe(true)
    await store.close()
    rmSync(root, { recursive: true })
  })
})

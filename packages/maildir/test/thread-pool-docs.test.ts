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

  it('a single step over a millisecond does too; the while is 50 ms after a long spell in place', async () => {
    expect(doc).toContain('or a single step takes over a millisecond')
    expect(doc).toContain('The while is 50 ms after a long spell in place')
    const { step, spell, away } = defaults()
    await spell(100)
    expect(await step(1)).toBe(true)
    expect(await step(0.005)).toBe(true)
    await step(1.01)
    expect(await away()).toBe(50)
  })

  it('the while doubles up to 5 s while each try in place is short', async () => {
    expect(doc).toContain('and doubles up to 5 s while each try in place is short')
    const { step, spell, away } = defaults()
    await spell(100)
    const whiles: number[] = []
    for (let i = 0; i < 9; i++) {
      await step(2)
      whiles.push(await away())
    }
    expect(whiles).toEqual([50, 100, 200, 400, 800, 1600, 3200, 5000, 5000])
  })

  it('after a step slow now and then, the spell and the while last 20 times it (up to 250 ms steps)', async () => {
    expect(doc).toContain('the while then also lasts until 20 times that step has passed since the spell began')
    expect(doc).toContain(
      'a twentieth of the time (for steps up to 250 ms; a longer one is followed by 5 s in the pool)',
    )
    const { step, spell, away } = defaults()
    await spell(300) // 301.5 ms in place
    await step(100)
    // 20 times 100 ms from the spell's start, 401.5 ms ago: 1598.5 ms, the first whole millisecond after it
    expect(await away()).toBe(1599)
    await spell(300)
    await step(400)
    expect(await away()).toBe(5000)
  })
})

describe('docs/deployment.md: the worker thread', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
  async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
    yield* parts
  }

  it('is off by default, and with `workerCopies: 8` takes a delivery of 8 copies or more', () => {
    expect(doc).toContain(
      'take the steps of a delivery of, say, 8 copies or more (`workerCopies: 8`) on a worker thread',
    )
    expect(doc).toContain('It is off by default (`workerCopies` is `Infinity`)')
    const byDefault = new Maildir(mkdtempSync(join(tmpdir(), 'smtpure-docs-worker-')))
    expect(byDefault.workerFor(1000)).toBeUndefined()
    rmSync(byDefault.root, { recursive: true })
    const store = new Maildir(mkdtempSync(join(tmpdir(), 'smtpure-docs-worker-')), { workerCopies: 8 })
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

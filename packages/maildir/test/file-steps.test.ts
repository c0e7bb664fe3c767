// Where the store's quick steps (open a new file, rename it) run: in place while a running average of their
// times stays under slowMs, in the thread pool for poolMs once it does not, then in place again. Driven by a
// fake clock that each step moves on by the time it "took".
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { Maildir, FileSteps, type FileStepsOptions } from '../src/index.js'

/** A clock and steps on it: `step(ms)` runs one step that takes `ms`, and says where it ran. */
const onClock = (options: Omit<FileStepsOptions, 'now'> = {}) => {
  let t = 0
  const steps = new FileSteps({ ...options, now: () => t })
  type Where = 'in place' | 'pool'
  const step = async (ms: number): Promise<Where> =>
    steps.run<Where>(
      () => {
        t += ms
        return 'in place'
      },
      (done) => setImmediate(() => done(null, 'pool')),
    )
  return { steps, step, wait: (ms: number) => void (t += ms) }
}

describe('FileSteps', () => {
  it('keeps quick steps in place', async () => {
    const { steps, step } = onClock()
    for (let i = 0; i < 200; i++) expect(await step(0.01)).toBe('in place')
    expect([steps.inlineSteps, steps.pooledSteps]).toEqual([200, 0])
  })

  it('sends steps to the thread pool once their average passes slowMs, and tries in place again after poolMs', async () => {
    const { steps, step, wait } = onClock({ slowMs: 0.05, poolMs: 50 })
    const where: string[] = []
    for (let i = 0; i < 8; i++) where.push(await step(0.3))
    // each slow time counts as at most 0.2 ms: the average passes 0.05 ms on the fifth
    expect(where).toEqual(['in place', 'in place', 'in place', 'in place', 'in place', 'pool', 'pool', 'pool'])
    wait(49)
    expect(await step(0.01)).toBe('pool')
    wait(1)
    expect(await step(0.01)).toBe('in place')
    expect(await step(0.01)).toBe('in place') // the average started again from nothing
    expect([steps.inlineSteps, steps.pooledSteps]).toEqual([7, 4])
  })

  it('sends steps to the pool at once after one step of more than twenty times slowMs', async () => {
    const { step, wait } = onClock({ slowMs: 0.05, poolMs: 50 })
    for (let i = 0; i < 50; i++) await step(0.005)
    expect(await step(1)).toBe('in place') // exactly twenty times: the average decides, and it is low
    expect(await step(0.005)).toBe('in place')
    expect(await step(1.01)).toBe('in place')
    expect(await step(0.005)).toBe('pool')
    wait(50)
    expect(await step(0.005)).toBe('in place')
  })

  it('doubles the while in the pool, up to maxPoolMs, while each try in place is short; a long one starts it again', async () => {
    const { step, wait } = onClock({ slowMs: 0.05, poolMs: 50, maxPoolMs: 300 })
    /** How long the steps stay in the pool, in whole milliseconds; the quick step that ends it runs in place. */
    const away = async (): Promise<number> => {
      let ms = 0
      while ((await step(0.005)) === 'pool') {
        wait(1)
        ms += 1
      }
      return ms
    }
    // a spell of 100 quick steps, one a millisecond, then a preempted one: 50 ms
    for (let i = 0; i < 100; i++) {
      await step(0.005)
      wait(1)
    }
    await step(5)
    const whiles = [await away()]
    // then a file system that stays slow: every try in place is two steps long
    for (let i = 0; i < 5; i++) {
      await step(5)
      whiles.push(await away())
    }
    expect(whiles).toEqual([50, 100, 200, 300, 300, 300])
    // quick again for a spell of 64 steps (the one `away` ran counts): the next while is 50 ms again
    for (let i = 0; i < 62; i++) {
      await step(0.005)
      wait(1)
    }
    await step(5)
    expect(await away()).toBe(50)
  })

  it('keeps a file system whose steps now and then take 50 ms from stalling the event loop for over a twentieth of the time', async () => {
    // a step every 0.3 ms, each 200th of them 50 ms long wherever it runs: every spell in place is long, so the
    // rule for a preempted step alone would bring the steps back after 50 ms, to stall again 60 ms later
    const { steps, step, wait } = onClock({ slowMs: 0.05, poolMs: 50, maxPoolMs: 5000 })
    let stalled = 0 // by the slow steps run in place
    let elapsed = 0
    for (let i = 1; elapsed < 60_000; i++) {
      const ms = i % 200 === 0 ? 50 : 0.005
      if ((await step(ms)) === 'in place' && ms > 1) stalled += ms
      else wait(ms) // in the thread pool it takes as long, off the event loop
      wait(0.3)
      elapsed += ms + 0.3
    }
    expect(steps.inlineSteps).toBeGreaterThan(1000) // tried in place again and again, not given up
    // each stall and the quiet after it last 20 times it: the last one's quiet is still under way
    expect(stalled - 50).toBeLessThanOrEqual(elapsed / 20)
  })

  test.prop([
    fc.array(
      fc.record({
        ms: fc.oneof(fc.double({ min: 0, max: 0.02, noNaN: true }), fc.double({ min: 0, max: 250, noNaN: true })),
        gap: fc.double({ min: 0, max: 5, noNaN: true }),
      }),
      { maxLength: 2000 },
    ),
  ])(
    'stalls the event loop with steps over a millisecond for at most a twentieth of the time, and one step',
    async (run) => {
      const { step, wait } = onClock({ slowMs: 0.05, poolMs: 50, maxPoolMs: 5000 })
      let stalled = 0
      let longest = 0
      let elapsed = 0
      for (const { ms, gap } of run) {
        if ((await step(ms)) === 'in place' && ms > 1) {
          stalled += ms
          longest = Math.max(longest, ms)
        } else wait(ms)
        wait(gap)
        elapsed += ms + gap
      }
      // each such step ends a spell, and the spell and the while after it last at least 20 times it
      expect(stalled - longest).toBeLessThanOrEqual(elapsed / 20 + 1e-9)
    },
  )

  test.prop([fc.array(fc.double({ min: 0, max: 5, noNaN: true }), { maxLength: 300 })])(
    'runs steps in place until the clamped average passes slowMs or one step passes twenty times it',
    async (times) => {
      const { step } = onClock({ slowMs: 0.05, poolMs: 1e9, maxPoolMs: 1e9 })
      let away = false
      let average = 0
      for (const ms of times) {
        expect(await step(ms)).toBe(away ? 'pool' : 'in place')
        if (away) continue
        average += (Math.min(ms, 0.2) - average) / 16
        away = average > 0.05 || ms > 1
      }
    },
  )

  it('counts a step recorded from elsewhere (the worker) in the average only, without running anything', async () => {
    const { steps, step, wait } = onClock({ slowMs: 0.05, poolMs: 50 })
    for (let i = 0; i < 100; i++) steps.record(0.005)
    expect(await step(0.005)).toBe('in place')
    steps.record(30) // one slow step elsewhere (a preempted thread, most likely) moves nothing
    expect(steps.inPlace).toBe(true)
    for (let i = 0; i < 3; i++) steps.record(5)
    expect(steps.inPlace).toBe(true)
    steps.record(5) // but steps that stay slow raise the average past slowMs
    expect(steps.inPlace).toBe(false)
    expect(await step(0.005)).toBe('pool')
    wait(50)
    expect(steps.inPlace).toBe(true)
    expect([steps.inlineSteps, steps.pooledSteps]).toEqual([1, 1]) // recorded steps are not counted as run here
  })

  it('ignores steps recorded while in the pool, so a slow batch elsewhere does not cut the while short', async () => {
    const { steps, wait } = onClock({ slowMs: 0.05, poolMs: 50, maxPoolMs: 1000 })
    const slowBatch = (): void => {
      for (let i = 0; i < 100; i++) steps.record(5) // the first few tip the average; the rest come in after
    }
    slowBatch()
    expect(steps.inPlace).toBe(false)
    wait(50)
    expect(steps.inPlace).toBe(true)
    slowBatch() // a try that is slow again: the while doubles, to 100 ms
    wait(60)
    expect(steps.inPlace).toBe(false)
    wait(40)
    expect(steps.inPlace).toBe(true)
  })

  it('with inline false, runs every step in the thread pool', async () => {
    const steps = new FileSteps({ inline: false, now: () => 0 })
    const got = await steps.run(
      () => 'in place',
      (done) => done(null, 'pool'),
    )
    expect(got).toBe('pool')
    expect([steps.inlineSteps, steps.pooledSteps]).toEqual([0, 1])
  })

  it("gives the file system's error either way, as a rejection", async () => {
    const error = Object.assign(new Error('EEXIST: file already exists'), { code: 'EEXIST' })
    const inPlace = new FileSteps({ now: () => 0 })
    const pooled = new FileSteps({ inline: false })
    const fail = (): number => {
      throw error
    }
    await expect(inPlace.run(fail, (done) => done(error, 0))).rejects.toBe(error)
    await expect(pooled.run(fail, (done) => done(error, 0))).rejects.toBe(error)
  })

  it('refuses a slowMs, poolMs or maxPoolMs that is not a number above 0', () => {
    expect(() => new FileSteps({ slowMs: 0 })).toThrow(RangeError)
    expect(() => new FileSteps({ poolMs: Number.NaN })).toThrow(/poolMs/)
    expect(() => new FileSteps({ maxPoolMs: -1 })).toThrow(/maxPoolMs/)
  })
})

describe('a store on steps that look slow', () => {
  it('moves them to the thread pool and still delivers every copy, byte for byte', async () => {
    const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-steps-'))
    let t = 0
    // every reading of the clock is 0.1 ms later: each step in place seems to take that long
    const steps = new FileSteps({ now: () => (t += 0.1), poolMs: 1e9 })
    const store = new Maildir(root, { metadataSteps: steps })
    const head = new TextEncoder().encode('Delivered-To: a@x.example\r\n')
    const body = new TextEncoder().encode('Subject: hi\r\n\r\nhello\r\n')
    for (let i = 0; i < 10; i++) {
      const d = store.begin([
        { address: 'a@x.example', head },
        { address: 'b@x.example', head },
      ])
      await d.writeAll(
        (async function* () {
          yield body
        })(),
      )
    }
    // 20 opens, 20 renames and 20 closes: eleven in place before the average of 0.1 ms times passed 0.05 ms, the
    // rest in the pool
    expect([steps.inlineSteps, steps.pooledSteps]).toEqual([11, 49])
    for (const who of ['a', 'b']) {
      const inbox = join(store.folder(`${who}@x.example`), 'new')
      const names = readdirSync(inbox)
      expect(names).toHaveLength(10)
      for (const n of names)
        expect(readFileSync(join(inbox, n), 'utf8')).toBe(
          'Delivered-To: a@x.example\r\n' + 'Subject: hi\r\n\r\nhello\r\n',
        )
      expect(readdirSync(join(store.folder(`${who}@x.example`), 'tmp'))).toEqual([])
    }
    await store.close()
    rmSync(root, { recursive: true })
  })
})

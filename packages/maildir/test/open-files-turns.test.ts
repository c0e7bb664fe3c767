// The `openFiles` bound under any mix of messages (a property): some delivered, some called off while they
// wait for their turn or later, some whose files fail to open. Every message settles (no deadlock), the
// turns are given in the order the messages began (none called off before its turn gets one), the files
// open at once never pass the bound (a message for more recipients than the bound takes it all, alone),
// and every file taken is given back.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeliveryAbortedError, Maildir, StoreError } from '../src/index.js'
import { fakeFiles } from './fake-file.js'

const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')
const tick = () => new Promise<void>((r) => setImmediate(r))
async function* slowly(ticks: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < ticks; i++) await tick()
  yield body
}

const ticksThen = async (ticks: number, f: () => Promise<void>): Promise<void> => {
  for (let i = 0; i < ticks; i++) await tick()
  await f()
}

type Fate = 'deliver' | 'abort at once' | 'abort later' | 'fail to open'

describe('openFiles under any mix of messages', () => {
  it('serves them in order, within the bound, and never deadlocks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(
          fc.record({
            copies: fc.integer({ min: 1, max: 5 }),
            fate: fc.constantFrom<Fate>('deliver', 'deliver', 'abort at once', 'abort later', 'fail to open'),
            ticks: fc.nat({ max: 4 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        async (bound, messages) => {
          const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-turns-'))
          const failing = new Set<string>()
          const { openFile, ledger } = fakeFiles({
            before: () => tick(),
            fault: (step, path) =>
              step === 'open' && [...failing].some((m) => path.includes(`/${m}-`)) ? { fail: 'reject' } : undefined,
          })
          const store = new Maildir(root, { openFile, openFiles: bound })
          // the turns, by the order in which the messages asked (each asks once, as it begins)
          const turns: number[] = []
          const take = store.slots.take.bind(store.slots)
          let asked = 0
          store.slots.take = (want, go) => {
            const id = asked++
            return take(want, (n) => {
              turns.push(id)
              go(n)
            })
          }
          const runs = messages.map(({ copies, fate, ticks }, i) => {
            const m = `m${i}`
            if (fate === 'fail to open') failing.add(m)
            const targets = Array.from({ length: copies }, (_, j) => ({ address: `${m}-${j}@x.example`, head }))
            const d = store.begin(targets)
            if (fate === 'abort at once') return d.abort().then(() => d.commit())
            const run = d.writeAll(slowly(ticks))
            if (fate === 'abort later') void ticksThen(ticks + 1, () => d.abort())
            return run
          })
          let timer: NodeJS.Timeout | undefined
          const deadline = new Promise<'deadlock'>((r) => (timer = setTimeout(() => r('deadlock'), 20000)))
          const settled = await Promise.race([Promise.allSettled(runs), deadline])
          clearTimeout(timer)
          expect(settled).not.toBe('deadlock')
          const outcomes = settled as PromiseSettledResult<void>[]

          outcomes.forEach((o, i) => {
            const { fate } = messages[i]!
            if (fate === 'deliver') expect(o.status).toBe('fulfilled')
            if (fate === 'abort at once')
              expect(o.status === 'rejected' && o.reason).toBeInstanceOf(DeliveryAbortedError)
            if (fate === 'fail to open') expect(o.status === 'rejected' && o.reason).toBeInstanceOf(StoreError)
          })
          // in the order they began; a message called off may have left the queue before its turn
          expect(turns).toEqual([...turns].sort((a, b) => a - b))
          const served = new Set(turns)
          messages.forEach(({ fate }, i) => {
            if (fate === 'deliver' || fate === 'fail to open') expect(served.has(i)).toBe(true)
          })
          const largest = Math.max(...messages.map((m) => m.copies))
          expect(ledger.most).toBeLessThanOrEqual(Math.max(bound, largest))
          if (largest <= bound) expect(ledger.most).toBeLessThanOrEqual(bound)
          await ledger.released() // a close that threw gives its descriptor back on its own time
          expect(ledger.open).toBe(0)
          expect(ledger.wrong).toEqual([])
          // every file was given back: a message for the whole bound gets its turn at once
          const all = Array.from({ length: bound }, (_, j) => ({ address: `last-${j}@x.example`, head }))
          await store.begin(all).writeAll(slowly(0))
          expect(turns.at(-1)).toBe(messages.length)
          for (const t of all) expect(readdirSync(join(store.folder(t.address), 'new'))).toHaveLength(1)
          await store.close()
          rmSync(root, { recursive: true })
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('a message called off at the head of the queue', () => {
  it('lets the one behind it, which fits, go at once rather than when a file is given back', async () => {
    const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-turns-'))
    const store = new Maildir(root, { openFiles: 2 })
    const one = (m: string) => [{ address: `${m}@x.example`, head }]
    let release: () => void = () => undefined
    const released = new Promise<void>((r) => (release = r))
    async function* held(): AsyncIterable<Uint8Array> {
      await released // the holder ends only once the message behind the head is delivered
      yield body
    }
    const holder = store.begin(one('holder')).writeAll(held())
    const head2 = store.begin([...one('big'), ...one('big2')]) // needs both files: waits
    const behind = store.begin(one('behind')).writeAll(slowly(0)) // fits, but waits behind the head
    await head2.abort()
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'deadlock'>((r) => (timer = setTimeout(() => r('deadlock'), 10000)))
    expect(await Promise.race([behind.then(() => 'delivered'), deadline])).toBe('delivered')
    clearTimeout(timer)
    release()
    await holder
    expect(readdirSync(join(store.folder('behind@x.example'), 'new'))).toHaveLength(1)
    await store.close()
    rmSync(root, { recursive: true })
  })
})

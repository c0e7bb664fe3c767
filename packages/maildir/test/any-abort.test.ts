// A delivery called off at any moment, by abort() or by its signal: while it waits for its turn in
// `openFiles`, while its files open, while the message streams and is written, while the copies are synced,
// renamed, closed, or their new/ folders synced. Whatever the moment (a property over every step):
//   - the delivery either resolved, and every recipient has the whole message once, or it rejected with
//     DeliveryAbortedError, and no new/ holds anything of it;
//   - once abort() has resolved, a delivery not yet resolved never resolves;
//   - no tmp/ holds anything, every file is closed exactly once and never under a running step, and the
//     files taken from `openFiles` are given back (the message waiting behind is delivered).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeliveryAbortedError, Maildir, type MaildirDelivery } from '../src/index.js'
import { fakeFiles, newFiles } from './fake-file.js'

const head = new TextEncoder().encode('Delivered-To: x\r\n')
const tick = () => new Promise<void>((r) => setImmediate(r))

describe('a delivery called off at any moment', () => {
  it('delivers whole or not at all, and leaves nothing open or behind', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          copies: fc.integer({ min: 1, max: 3 }),
          synced: fc.boolean(),
          flushOctets: fc.integer({ min: 1, max: 40 }),
          parts: fc.array(fc.uint8Array({ minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 4 }),
          /** The step at which the delivery is called off (past the last: after it ended). */
          at: fc.nat({ max: 40 }),
          by: fc.constantFrom('abort' as const, 'signal' as const),
          /** Another message holds every file first, so the delivery begins by waiting for its turn. */
          blocked: fc.boolean(),
          /** Steps take a turn of the event loop, so that calls overlap. */
          slow: fc.boolean(),
          /** Copies land separately (LMTP): a delivery called off still lands whole or not at all. */
          separately: fc.boolean(),
        }),
        async ({ copies, synced, flushOctets, parts, at, by, blocked, slow, separately }) => {
          const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-any-abort-'))
          const controller = new AbortController()
          const holder: { d?: MaildirDelivery } = {}
          let steps = 0
          let aborted: Promise<void> | undefined
          const state: { outcome: 'pending' | 'delivered' | 'rejected' } = { outcome: 'pending' }
          let pendingWhenAbortEnded = false
          const callOff = (): void => {
            if (steps++ !== at) return
            if (by === 'signal') return controller.abort(new Error('called off'))
            const d = holder.d!
            aborted = d.abort().then(() => {
              pendingWhenAbortEnded = state.outcome === 'pending'
            })
          }
          const { openFile, ledger } = fakeFiles({
            synced,
            before: (_step, path) => {
              if (!path.includes('/mine')) return undefined
              callOff()
              return slow ? tick() : undefined
            },
          })
          const store = new Maildir(root, { openFile, flushOctets, openFiles: copies })
          const sync = store.folders.sync.bind(store.folders)
          store.folders.sync = (dir: string) => {
            if (dir.includes('/mine')) callOff()
            return sync(dir)
          }
          const targets = Array.from({ length: copies }, (_, i) => ({ address: `mine${i}@x.example`, head }))
          const others = [{ address: 'other@x.example', head }]
          const blocker = blocked ? store.begin(Array.from({ length: copies }, () => others[0]!)) : undefined
          async function* stream(): AsyncIterable<Uint8Array> {
            for (const p of parts) {
              callOff()
              if (slow) await tick()
              yield p
            }
          }
          holder.d = store.begin(targets, { separately })
          const delivered = holder.d.writeAll(stream(), controller.signal).then(
            () => {
              state.outcome = 'delivered'
            },
            (e: unknown) => {
              state.outcome = 'rejected'
              return e
            },
          )
          callOff() // step 0: at once, while it waits for its turn or opens
          if (blocker !== undefined) {
            await tick()
            await blocker.writeAll((async function* () {})())
          }
          const failure = await delivered
          await aborted

          const dirs = targets.map((t) => store.folder(t.address))
          const present = (d: string, sub: string) =>
            readdirSync(root).includes(d.slice(root.length + 1)) ? readdirSync(join(d, sub)) : []
          if (state.outcome === 'delivered') {
            const message = Buffer.concat([head, ...parts])
            expect(newFiles(dirs)).toEqual(dirs.map(() => [message]))
          } else {
            expect(failure).toBeInstanceOf(DeliveryAbortedError)
            for (const d of dirs) expect(present(d, 'new')).toEqual([])
          }
          expect(pendingWhenAbortEnded && state.outcome === 'delivered').toBe(false)
          for (const d of dirs) expect(present(d, 'tmp')).toEqual([])
          expect(ledger.wrong).toEqual([])
          await ledger.released() // a close that threw gives its descriptor back on its own time
          expect(ledger.open).toBe(0)
          expect([...ledger.closes.values()].every((n) => n === 1)).toBe(true)
          // every file was given back: a message for as many recipients gets its turn
          await store.begin(others).writeAll((async function* () {})())
          expect(readdirSync(join(store.folder('other@x.example'), 'new'))).toHaveLength(blocked ? copies + 1 : 1)
          await store.close()
          rmSync(root, { recursive: true })
        },
      ),
      { numRuns: 200 },
    )
  })
})

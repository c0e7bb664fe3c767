// Concurrent deliveries into the same folders while the sync steps and the metadata steps flip between the event
// loop and the thread pool (a clock that jumps makes some steps seem slow): the folder syncs are grouped
// (FolderSyncer), and a group must never answer for a rename made after its sync started. For every delivery
// that resolves, each of its copies' new/ folders was synced by a sync that started after the copy's rename and
// ended before the delivery resolved (RFC 5321 6.1: a 250 means the message is safe).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'

const log: string[] = []

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>()
  const where = (fd: number): string => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      return ''
    }
  }
  const fsync = (fd: number, cb: (e: NodeJS.ErrnoException | null) => void): void => {
    const path = where(fd)
    log.push(`fsync-start ${path}`)
    fs.fsync(fd, (e) => {
      log.push(`fsync-end ${path}`)
      cb(e)
    })
  }
  const fsyncSync = (fd: number): void => {
    const path = where(fd)
    log.push(`fsync-start ${path}`)
    fs.fsyncSync(fd)
    log.push(`fsync-end ${path}`)
  }
  const rename = (from: string, to: string, cb: (e: NodeJS.ErrnoException | null) => void): void =>
    fs.rename(from, to, (e) => {
      if (e === null) log.push(`rename-done ${to}`)
      cb(e)
    })
  const renameSync = (from: string, to: string): void => {
    fs.renameSync(from, to)
    log.push(`rename-done ${to}`)
  }
  const mocked = { fsync, fsyncSync, rename, renameSync }
  return { ...fs, default: { ...fs, ...mocked }, ...mocked }
})

const { Maildir, FileSteps } = await import('../src/index.js')

/** A clock that moves by each of `jumps` in turn, in milliseconds: a jump over a millisecond is a slow step. */
const clock = (jumps: ReadonlyArray<number>) => {
  let t = 0
  let i = 0
  return () => (t += jumps[i++ % jumps.length]!)
}

async function* one(octets: Uint8Array): AsyncIterable<Uint8Array> {
  yield octets
}

describe('concurrent deliveries into the same folders, steps flipping between in place and the pool', () => {
  it('resolve only once a sync of each new/ that started after the copy was renamed there has ended', async () => {
    const jump = fc.oneof(fc.constant(0), fc.constant(0.01), fc.constant(5))
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.nat({ max: 2 }), { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 8 }),
        fc.array(jump, { minLength: 1, maxLength: 12 }),
        fc.array(jump, { minLength: 1, maxLength: 12 }),
        fc.constantFrom('none', 'close', 'forget'),
        fc.nat({ max: 3 }),
        async (deliveries, syncJumps, metaJumps, midway, ticks) => {
          const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-flips-'))
          log.length = 0
          const store = new Maildir(root, {
            syncSteps: new FileSteps({ poolMs: 0.02, maxPoolMs: 0.1, now: clock(syncJumps) }),
            metadataSteps: new FileSteps({ poolMs: 0.02, maxPoolMs: 0.1, now: clock(metaJumps) }),
            folderHandles: 2,
          })
          const body = new TextEncoder().encode('hello\r\n')
          const runs = deliveries.map((rcpts, k) => {
            const head = new TextEncoder().encode(`X: ${k}\r\n`)
            const targets = [...new Set(rcpts)].map((r) => ({ address: `r${r}@x.example`, head }))
            return store
              .begin(targets)
              .writeAll(one(body))
              .then(() => void log.push(`resolved ${k}`))
          })
          // midway, the store is closed (later syncs open handles of their own) or forgets its folders (their
          // handles are closed, maybe while a sync runs on one, and opened again)
          if (midway !== 'none') {
            for (let i = 0; i < ticks; i++) await new Promise<void>((r) => setImmediate(r))
            if (midway === 'close') void store.close()
            else store.forget()
          }
          await Promise.all(runs)
          await store.close()
          const renames = log.flatMap((s, i) => (s.startsWith('rename-done ') ? [[i, s.slice(12)] as const] : []))
          expect(renames.length).toBe(deliveries.reduce((n, r) => n + new Set(r).size, 0))
          for (const [at, final] of renames) {
            const inbox = final.slice(0, final.lastIndexOf('/'))
            // the delivery this copy belongs to (its head names it) resolved at `done`
            const k = Number(/^X: (\d+)/.exec(readFileSync(final, 'latin1'))![1])
            const done = log.indexOf(`resolved ${k}`)
            expect(done).toBeGreaterThan(at)
            // some sync of the inbox started after the rename and ended before the delivery resolved
            let ok = false
            for (let i = at + 1; i < done && !ok; i++) {
              if (log[i] !== `fsync-start ${inbox}`) continue
              const end = log.indexOf(`fsync-end ${inbox}`, i + 1)
              ok = end !== -1 && end < done
            }
            expect(ok).toBe(true)
          }
          rmSync(root, { recursive: true })
        },
      ),
      { numRuns: 150 },
    )
  })
})

// node:fs callbacks as each runtime calls them on success: Node with `null`, Bun with `null, undefined`,
// Deno (2.x) with no argument at all for a call that has no result (rename, fsync, close). The store must
// take each for success: on Deno, a rename that reported `undefined` was taken for a failure, so every
// delivery answered 451. The real runtimes are run by packages/interop; this holds the shapes on Node.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

type Shape = 'node' | 'bun' | 'deno'
const runtime: { shape: Shape } = { shape: 'node' }

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>()
  type Done = (e: NodeJS.ErrnoException | null, ...rest: unknown[]) => void
  /** The callback of a call with no result, as the runtime being imitated calls it. */
  const reshaped =
    (cb: Done): Done =>
    (e, ...rest) => {
      if (e !== null) return cb(e, ...rest)
      if (runtime.shape === 'deno') return (cb as () => void)()
      if (runtime.shape === 'bun') return cb(null, undefined)
      return cb(null)
    }
  const rename = (from: string, to: string, cb: Done): void => fs.rename(from, to, reshaped(cb))
  const fsync = (fd: number, cb: Done): void => fs.fsync(fd, reshaped(cb))
  const close = (fd: number, cb: Done): void => fs.close(fd, reshaped(cb))
  const wrapped = { rename, fsync, close }
  return { ...fs, default: { ...fs, ...wrapped }, ...wrapped }
})

const { Maildir } = await import('../src/index.js')

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\nhi\r\n')

describe.each(['node', 'bun', 'deno'] as const)('callbacks shaped as on %s', (shape) => {
  it('a delivery to one and to several recipients lands whole', async () => {
    runtime.shape = shape
    const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-callbacks-'))
    const store = new Maildir(root)
    const addresses = ['a@x.example', 'b@x.example']
    await store.begin([{ address: addresses[0]!, head }]).writeAll(chunks(body))
    await store.begin(addresses.map((address) => ({ address, head }))).writeAll(chunks(body))
    for (const [i, a] of addresses.entries()) {
      const inbox = join(store.folder(a), 'new')
      const names = readdirSync(inbox)
      expect(names).toHaveLength(i === 0 ? 2 : 1)
      for (const n of names)
        expect(readFileSync(join(inbox, n), 'latin1')).toBe('Delivered-To: x\r\nSubject: x\r\n\r\nhi\r\n')
    }
    await store.close()
    rmSync(root, { recursive: true })
  })
})

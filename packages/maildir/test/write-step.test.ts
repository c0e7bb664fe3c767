// The store's own write (fs.writevSync in place, fs.writev in the thread pool) on a real file: a short write is
// completed, so the copy in new/ is whole; a failed write (ENOSPC, EIO) is the same StoreError either way, with
// the file system's error as its cause, and leaves nothing in new/ or tmp/.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

/** What the next writes do: take at most `short` octets, or fail with `code`; then they act as usual. */
const faults: Array<{ readonly short: number } | { readonly code: string }> = []

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>()
  type Views = ReadonlyArray<NodeJS.ArrayBufferView>
  /** The views cut to `n` octets in all. */
  const cut = (views: Views, n: number): NodeJS.ArrayBufferView[] => {
    const out: NodeJS.ArrayBufferView[] = []
    for (const v of views) {
      if (n <= 0) break
      const b = new Uint8Array(v.buffer, v.byteOffset, Math.min(v.byteLength, n))
      out.push(b)
      n -= b.length
    }
    return out
  }
  const failure = (code: string, syscall: string): NodeJS.ErrnoException =>
    Object.assign(new Error(`${code}: injected, ${syscall}`), { code, syscall, errno: code === 'EIO' ? -5 : -28 })
  const writevSync = (fd: number, views: Views): number => {
    const f = faults.shift()
    if (f === undefined) return fs.writevSync(fd, views)
    if ('code' in f) throw failure(f.code, 'writev')
    return fs.writevSync(fd, cut(views, f.short))
  }
  const writev = (
    fd: number,
    views: Views,
    position: null,
    cb: (e: NodeJS.ErrnoException | null, n: number) => void,
  ): void => {
    const f = faults.shift()
    if (f === undefined) return fs.writev(fd, views, position, cb)
    if ('code' in f) return void setImmediate(() => cb(failure(f.code, 'writev'), 0))
    fs.writev(fd, cut(views, f.short), position, cb)
  }
  return { ...fs, default: { ...fs, writev, writevSync }, writev, writevSync }
})

const { Maildir, FileSteps, StoreError } = await import('../src/index.js')

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const head = new TextEncoder().encode('Delivered-To: x\r\n')
const body = new TextEncoder().encode('Subject: x\r\n\r\n' + 'line of the body\r\n'.repeat(40))

/** A store whose steps all stay where they are put (a clock that stands still), and its root. */
const storeOf = (inline: boolean) => {
  const root = mkdtempSync(join(tmpdir(), 'smtpure-maildir-write-'))
  const syncSteps = new FileSteps({ inline, now: () => 0 })
  const store = new Maildir(root, { syncSteps, metadataSteps: new FileSteps({ inline, now: () => 0 }) })
  return { root, store, syncSteps }
}

describe.each([
  ['in place', true],
  ['in the thread pool', false],
])('the store writing a copy %s', (_, inline) => {
  it('completes short writes: the copy in new/ is whole', async () => {
    const { root, store, syncSteps } = storeOf(inline)
    faults.length = 0
    faults.push({ short: 5 }, { short: 1 }, { short: 100 })
    await store.begin([{ address: 'a@x.example', head }]).writeAll(chunks(body))
    const inbox = join(store.folder('a@x.example'), 'new')
    const [name] = readdirSync(inbox)
    expect(readFileSync(join(inbox, name!))).toEqual(Buffer.concat([head, body]))
    expect(faults).toEqual([])
    expect(inline ? syncSteps.inlineSteps : syncSteps.pooledSteps).toBeGreaterThanOrEqual(4)
    await store.close()
    rmSync(root, { recursive: true })
  })

  it.each([
    ['ENOSPC', 452, '4.3.1', { code: 'ENOSPC' }],
    ['EIO', 451, '4.3.0', { code: 'EIO' }],
    ['that takes no octets', 452, '4.3.1', { short: 0 }],
  ])('turns a failed write (%s) into a StoreError %i %s with it as cause, and leaves no file', async (_, r, x, f) => {
    const { root, store } = storeOf(inline)
    faults.length = 0
    faults.push({ short: 3 }, f)
    const code = 'code' in f ? f.code : 'ENOSPC'
    const e: unknown = await store
      .begin([{ address: 'a@x.example', head }])
      .writeAll(chunks(body))
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(e).toBeInstanceOf(StoreError)
    const { reply, cause } = e as InstanceType<typeof StoreError> & { reply: { code: number; enhanced?: string } }
    expect([reply.code, reply.enhanced]).toEqual([r, x])
    expect(cause).toMatchObject('code' in f ? { code, syscall: 'writev' } : { code })
    const dir = store.folder('a@x.example')
    expect([...readdirSync(join(dir, 'new')), ...readdirSync(join(dir, 'tmp'))]).toEqual([])
    await store.close()
    rmSync(root, { recursive: true })
  })
})

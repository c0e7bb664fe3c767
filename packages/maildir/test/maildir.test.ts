// Tests for the Maildir store: complete writes or an error (never a truncated file in new/), 452 for a
// full file system, bounded and injective folder names, and the tmp/ sweep (maildir(5); RFC 5321 6.1).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runInNewContext } from 'node:vm'
import { afterAll, describe, expect, it } from 'vitest'
import { fc, test } from '@fast-check/vitest'
import { Maildir, StoreError, type StoreFile, maildirFolderName, writeFully } from '../src/index.js'

const scratch = (): string => mkdtempSync(join(tmpdir(), 'smtpure-maildir-'))
const bytes = (n: number, fill = 0x61): Uint8Array => new Uint8Array(n).fill(fill)
async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts
}
const files = (dir: string): string[] => readdirSync(dir)

/** The first `n` octets of a list of buffers. */
const take = (buffers: ReadonlyArray<Uint8Array>, n: number): Uint8Array[] => {
  const out: Uint8Array[] = []
  for (const b of buffers) {
    if (n <= 0) break
    out.push(b.subarray(0, n))
    n -= b.length
  }
  return out
}

/** A real file whose writes are cut: at most `step` octets each, and none at all past `capacity`. */
const shortWriting =
  (step: number, capacity = Infinity) =>
  async (path: string): Promise<StoreFile> => {
    const handle = await open(path, 'wx', 0o600)
    let written = 0
    return {
      writev: async (buffers) => {
        const n = Math.max(0, Math.min(step, capacity - written))
        if (n === 0) return 0
        const r = await handle.writev(take(buffers, n))
        written += r.bytesWritten
        return r.bytesWritten
      },
      sync: () => handle.sync(),
      close: () => handle.close(),
    }
  }

describe('writeFully', () => {
  it('loops over short writes until every octet is written', async () => {
    const calls: number[] = []
    const sink: number[] = []
    await writeFully(
      {
        writev: async (buffers) => {
          calls.push(buffers.reduce((n, b) => n + b.length, 0))
          for (const b of take(buffers, 3)) sink.push(...b)
          return Math.min(3, calls.at(-1)!)
        },
      },
      [Uint8Array.from([1, 2]), Uint8Array.from([3, 4, 5, 6]), new Uint8Array(0), Uint8Array.from([7, 8])],
    )
    expect(sink).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(calls).toEqual([8, 5, 2])
  })

  it('a write that makes no progress is ENOSPC, not a silent truncation', async () => {
    const e = await writeFully({ writev: async () => 0 }, [bytes(4)]).catch((x: unknown) => x)
    expect((e as { code?: string }).code).toBe('ENOSPC')
  })
})

describe('Maildir', () => {
  it('delivers head and body byte for byte across short writes, into new/ only', async () => {
    const root = scratch()
    const store = new Maildir(root, { openFile: shortWriting(7) })
    const head = new TextEncoder().encode('Delivered-To: jörg@bücher.example\r\n')
    const d = store.begin([{ address: 'jörg@bücher.example', head }])
    await d.writeAll(chunks(bytes(1000, 0x62), bytes(33, 0x63)))
    const folder = store.folder('jörg@bücher.example')
    const [name] = files(join(folder, 'new'))
    expect(files(join(folder, 'tmp'))).toEqual([])
    expect(new Uint8Array(readFileSync(join(folder, 'new', name!)))).toEqual(
      Uint8Array.from([...head, ...bytes(1000, 0x62), ...bytes(33, 0x63)]),
    )
  })

  it('writes a head given in pieces in order, before the body, the shared pieces into every copy', async () => {
    const root = scratch()
    const store = new Maildir(root, { openFile: shortWriting(5) })
    const text = (s: string): Uint8Array => new TextEncoder().encode(s)
    const shared = text('Received: from x\r\n')
    const d = store.begin(
      ['a@example.com', 'b@example.com'].map((address) => ({
        address,
        head: [text('Return-Path: <>\r\n'), text(`Delivered-To: ${address}\r\n`), shared],
      })),
    )
    await d.writeAll(chunks(text('body\r\n')))
    for (const address of ['a@example.com', 'b@example.com']) {
      const inbox = join(store.folder(address), 'new')
      const [name] = files(inbox)
      expect(readFileSync(join(inbox, name!), 'utf8')).toBe(
        `Return-Path: <>\r\nDelivered-To: ${address}\r\nReceived: from x\r\nbody\r\n`,
      )
    }
  })

  it('takes a head made in another realm (a vm context) as one piece', async () => {
    const store = new Maildir(scratch())
    const head = runInNewContext('new Uint8Array(octets)', {
      octets: [...new TextEncoder().encode('X-Realm: other\r\n')],
    }) as Uint8Array
    expect(head instanceof Uint8Array).toBe(false) // what the store must not rely on
    await store.begin([{ address: 'bob@example.com', head }]).writeAll(chunks(new TextEncoder().encode('body\r\n')))
    const inbox = join(store.folder('bob@example.com'), 'new')
    expect(readFileSync(join(inbox, files(inbox)[0]!), 'utf8')).toBe('X-Realm: other\r\nbody\r\n')
  })

  it('50 messages committed at once to one folder all land whole (the folder syncs are shared)', async () => {
    const store = new Maildir(scratch(), { flushOctets: 100 })
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.begin([{ address: 'bob@example.com', head: bytes(5, 0x68) }]).writeAll(chunks(bytes(150 + i), bytes(7))),
      ),
    )
    const inbox = join(store.folder('bob@example.com'), 'new')
    const sizes = files(inbox).map((f) => readFileSync(join(inbox, f)).length)
    expect(sizes.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => 5 + 150 + i + 7))
    await store.close()
  })

  it('452 4.3.1 when the file system fills mid-message, and nothing reaches new/', async () => {
    const root = scratch()
    const store = new Maildir(root, { openFile: shortWriting(4096, 10_000) })
    const d = store.begin([
      { address: 'a@example.com', head: bytes(10) },
      { address: 'b@example.com', head: bytes(10) },
    ])
    const e = await d.writeAll(chunks(bytes(8192), bytes(8192))).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(StoreError)
    expect((e as StoreError).reply).toEqual({ code: 452, enhanced: '4.3.1', lines: [expect.any(String)] })
    for (const a of ['a@example.com', 'b@example.com']) {
      expect(files(join(store.folder(a), 'new'))).toEqual([])
      expect(files(join(store.folder(a), 'tmp'))).toEqual([])
    }
  })

  it('451 4.3.0 for other failures, such as a root below a regular file', async () => {
    const root = scratch()
    writeFileSync(join(root, 'file'), 'x')
    const store = new Maildir(join(root, 'file', 'mail'))
    const e = await store
      .begin([{ address: 'a@example.com', head: bytes(1) }])
      .writeAll(chunks(bytes(1)))
      .catch((x: unknown) => x)
    expect((e as StoreError).reply.code).toBe(451)
    expect((e as StoreError).cause).toMatchObject({ code: 'ENOTDIR' })
  })

  describe('on a real 256 KiB tmpfs (root only)', () => {
    const mount = mkdtempSync(join(tmpdir(), 'smtpure-tmpfs-'))
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount])
    afterAll(async () => {
      await store.close() // the folder handles it keeps would hold the mount busy
      execFileSync('umount', [mount])
      rmSync(mount, { recursive: true })
    })

    const store = new Maildir(mount)
    it('every committed 16 KiB message is whole, and the first failure is 452, never a short file', async () => {
      const body = bytes(16 * 1024, 0x78)
      const head = new TextEncoder().encode('Delivered-To: bob@example.com\r\n')
      let committed = 0
      let failure: unknown
      for (let i = 0; i < 40 && failure === undefined; i++) {
        try {
          const d = store.begin([{ address: 'bob@example.com', head }])
          await d.writeAll(chunks(body.subarray(0, 5000), body.subarray(5000)))
          committed += 1
        } catch (e) {
          failure = e
        }
      }
      expect(committed).toBeGreaterThan(0)
      expect((failure as StoreError).reply.code).toBe(452)
      const folder = store.folder('bob@example.com')
      const delivered = files(join(folder, 'new'))
      expect(delivered.length).toBe(committed)
      for (const name of delivered)
        expect(readFileSync(join(folder, 'new', name)).length).toBe(head.length + body.length)
      expect(files(join(folder, 'tmp'))).toEqual([])
    })
  })

  it('sweep removes tmp/ files older than 36 hours and keeps the rest', async () => {
    const root = scratch()
    const tmp = join(root, 'bob@example.com', 'tmp')
    mkdirSync(tmp, { recursive: true })
    writeFileSync(join(tmp, 'old'), 'x')
    writeFileSync(join(tmp, 'fresh'), 'x')
    const old = (Date.now() - 37 * 3600 * 1000) / 1000
    utimesSync(join(tmp, 'old'), old, old)
    expect(await new Maildir(root).sweep()).toBe(1)
    expect(files(tmp)).toEqual(['fresh'])
  })
})

describe('maildirFolderName', () => {
  it('escapes what could escape the root, hide the folder or merge two addresses', () => {
    expect(maildirFolderName('a/b@example.com')).toBe('a%2Fb@example.com')
    expect(maildirFolderName('a%2Fb@example.com')).toBe('a%252Fb@example.com')
    expect(maildirFolderName('.x@example.com')).toBe('%2Ex@example.com')
    expect(maildirFolderName('"../.."@example.com')).toBe('"..%2F.."@example.com')
  })

  it('a 64-octet local part at a 255-octet domain gets a name under 255 octets', () => {
    const address = `${'x'.repeat(64)}@${Array.from({ length: 4 }, () => 'd'.repeat(62)).join('.')}`
    const name = maildirFolderName(address)
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(200)
    expect(name).toMatch(/%~[0-9a-f]{32}$/)
  })

  const address = fc.string({ unit: fc.constantFrom('a', 'B', '.', '/', '%', '~', 'é', '不', '@'), maxLength: 300 })
  test.prop([address, address])(
    'bounded, one path component, never . or .., distinct for distinct addresses',
    (a, b) => {
      for (const n of [maildirFolderName(a), maildirFolderName(b)]) {
        expect(Buffer.byteLength(n)).toBeLessThanOrEqual(200)
        expect(n).not.toContain('/')
        expect(n.startsWith('.')).toBe(false)
      }
      if (a !== b) expect(maildirFolderName(a)).not.toBe(maildirFolderName(b))
    },
  )
})

// A Maildir message store (the tmp/new/cur layout of qmail's maildir(5)) for smtpure servers. A message
// is written into tmp/, every write complete or an error, synced to disk, renamed into new/, and the
// new/ folder synced, all before the server may say 250 (RFC 5321 6.1: a 250 means the message is safe).
// Failures become replies: no room (ENOSPC, EDQUOT) is 452 4.3.1, anything else 451 4.3.0.
import { createHash } from 'node:crypto'
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { SmtpError } from '@smtpure/driver'

/** The part of a file handle the store uses; `node:fs/promises` FileHandle has this shape. */
export interface StoreFile {
  /** Write up to `length` octets of `buffer` from `offset`; may write fewer (a short write). */
  readonly write: (
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: null,
  ) => Promise<{ readonly bytesWritten: number }>
  readonly sync: () => Promise<void>
  readonly close: () => Promise<void>
}

/**
 * Write all of `bytes`, looping over short writes. A write that makes no progress fails with an error whose
 * `code` is `ENOSPC`, so a full file system can never leave a silently truncated file behind.
 */
export const writeFully = async (file: Pick<StoreFile, 'write'>, bytes: Uint8Array): Promise<void> => {
  let done = 0
  while (done < bytes.length) {
    const { bytesWritten } = await file.write(bytes, done, bytes.length - done, null)
    if (!(bytesWritten > 0))
      throw Object.assign(new Error('no space left on device (a write made no progress)'), { code: 'ENOSPC' })
    done += bytesWritten
  }
}

/** RFC 3463 4.3.1 (mail system full) and RFC 5321 4.2.2 (452: insufficient system storage) for a full disk. */
const isFull = (e: unknown): boolean => {
  const code = (e as { code?: unknown } | null)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/** A store failure as the error a hook throws: the reply the client gets, the file system error as `cause`. */
export class StoreError extends SmtpError {
  override readonly cause: unknown
  constructor(cause: unknown) {
    const full = isFull(cause)
    super(
      full ? 452 : 451,
      full ? '4.3.1' : '4.3.0',
      full ? 'Insufficient system storage' : 'Local error in processing',
    )
    this.name = 'StoreError'
    this.cause = cause
  }
}

const storeError = (e: unknown): StoreError => (e instanceof StoreError ? e : new StoreError(e))

/** File names stay well below the usual 255-octet limit of one path component. */
const MAX_NAME_OCTETS = 200

/**
 * The folder name for a mailbox: safe and bounded for any address the grammar accepts. `%`, `/` and a
 * leading `.` are written as `%25`, `%2F` and `%2E`, so distinct addresses never share a folder and none
 * escapes the root or hides as a dot-folder. A name longer than 200 octets keeps a prefix and ends in `%~`
 * and 32 hex digits of the address's SHA-256, a form no escaped name can take.
 */
export const maildirFolderName = (address: string): string => {
  const escaped = address.replace(/[%/\0]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
  const name = escaped.startsWith('.') ? `%2E${escaped.slice(1)}` : escaped
  if (Buffer.byteLength(name) <= MAX_NAME_OCTETS) return name
  let prefix = ''
  for (const ch of name) {
    if (Buffer.byteLength(prefix + ch) > MAX_NAME_OCTETS - 40) break
    prefix += ch
  }
  return `${prefix}%~${createHash('sha256').update(address).digest('hex').slice(0, 32)}`
}

let counter = 0
const host = hostname().replace(/[/:]/g, '_')

/** A unique Maildir file name: seconds, microseconds, process, counter and host (maildir(5)). */
const uniqueName = (): string => {
  const now = Date.now()
  counter += 1
  return `${Math.floor(now / 1000)}.M${(now % 1000) * 1000}P${process.pid}Q${counter}.${host}`
}

/** Where one copy of the message goes: the recipient's address and the header octets put before the body. */
export interface MaildirTarget {
  readonly address: string
  /** Header fields written before the message, as octets (see `traceBlock` in @smtpure/core). */
  readonly head: Uint8Array
}

export interface MaildirOptions {
  /** Open a new file for writing; the default is `open(path, 'wx', 0o600)`. Tests wrap it to fail. */
  readonly openFile?: (path: string) => Promise<StoreFile>
}

/** Maildir's advice: files left in tmp/ for 36 hours belong to writers that died (maildir(5)). */
export const STALE_TMP_MS = 36 * 60 * 60 * 1000

/**
 * A root folder holding one Maildir per recipient address.
 * @example
 * const store = new Maildir('/var/mail/smtpure')
 * const delivery = await store.begin([{ address: 'alice@example.com', head: traceBlock([received]) }])
 * await delivery.writeAll(message.chunks) // then 250; a failure throws a StoreError (451 or 452)
 */
export class Maildir {
  private readonly made = new Set<string>() // folders known to have cur, new and tmp
  private readonly openFile: (path: string) => Promise<StoreFile>

  constructor(
    readonly root: string,
    options: MaildirOptions = {},
  ) {
    this.openFile = options.openFile ?? ((path) => open(path, 'wx', 0o600))
  }

  /** The Maildir folder of an address. */
  folder(address: string): string {
    return join(this.root, maildirFolderName(address))
  }

  private async ensure(dir: string): Promise<void> {
    if (this.made.has(dir)) return
    await Promise.all(['cur', 'new', 'tmp'].map((d) => mkdir(join(dir, d), { recursive: true })))
    this.made.add(dir)
  }

  /** Open one temporary file per target and write its head; throws a StoreError and leaves nothing behind. */
  async begin(targets: ReadonlyArray<MaildirTarget>): Promise<MaildirDelivery> {
    const files: OpenFile[] = []
    try {
      for (const t of targets) {
        const dir = this.folder(t.address)
        await this.ensure(dir)
        const name = uniqueName()
        const tmp = join(dir, 'tmp', name)
        const file = await this.openFile(tmp)
        files.push({ file, tmp, dir, final: join(dir, 'new', name) })
        await writeFully(file, t.head)
      }
    } catch (e) {
      await discard(files)
      this.made.clear() // folders removed behind our back are made again next time
      throw storeError(e)
    }
    return new MaildirDelivery(files)
  }

  /**
   * Remove files older than `maxAgeMs` from every Maildir's tmp/ (writers that died mid-message leave them).
   * Returns how many were removed; folders that cannot be read are passed over.
   */
  async sweep(maxAgeMs = STALE_TMP_MS, now = Date.now()): Promise<number> {
    let removed = 0
    const folders = await readdir(this.root).catch(() => [] as string[])
    for (const folder of folders) {
      const tmp = join(this.root, folder, 'tmp')
      for (const name of await readdir(tmp).catch(() => [] as string[])) {
        const path = join(tmp, name)
        const info = await stat(path).catch(() => undefined)
        if (
          info?.isFile() &&
          now - info.mtimeMs > maxAgeMs &&
          (await unlink(path).then(
            () => true,
            () => false,
          ))
        )
          removed += 1
      }
    }
    return removed
  }
}

interface OpenFile {
  readonly file: StoreFile
  readonly tmp: string
  readonly dir: string
  readonly final: string
}

const discard = async (files: ReadonlyArray<OpenFile>): Promise<void> => {
  await Promise.all(
    files.map(async (f) => {
      await f.file.close().catch(() => undefined)
      await unlink(f.tmp).catch(() => undefined)
    }),
  )
}

/** Sync a folder, so that a rename into it survives a crash. */
const syncFolder = async (dir: string): Promise<void> => {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** One message being written into several Maildirs at once. Every method throws StoreError on failure. */
export class MaildirDelivery {
  constructor(private files: ReadonlyArray<OpenFile>) {}

  /** Append octets to every copy; each write is complete or an error. */
  async write(chunk: Uint8Array): Promise<void> {
    try {
      for (const f of this.files) await writeFully(f.file, chunk)
    } catch (e) {
      throw storeError(e)
    }
  }

  /**
   * Sync and close every copy, rename each into new/ and sync the new/ folders. If any step fails, copies
   * already in new/ are taken back out, so a failure (and the client's retry) delivers nothing twice.
   */
  async commit(): Promise<void> {
    const files = this.files
    const renamed: string[] = []
    try {
      await Promise.all(files.map((f) => f.file.sync()))
      await Promise.all(files.map((f) => f.file.close()))
      this.files = []
      await Promise.all(files.map((f) => rename(f.tmp, f.final).then(() => void renamed.push(f.final))))
      await Promise.all([...new Set(files.map((f) => join(f.dir, 'new')))].map(syncFolder))
    } catch (e) {
      await Promise.all(renamed.map((final) => unlink(final).catch(() => undefined)))
      await discard(files)
      throw storeError(e)
    }
  }

  /** Remove the temporary files; nothing reaches new/. */
  async abort(): Promise<void> {
    const files = this.files
    this.files = []
    await discard(files)
  }

  /** Write every chunk and commit; on any failure abort and throw (a StoreError for the file system). */
  async writeAll(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const chunk of chunks) await this.write(chunk)
      await this.commit()
    } catch (e) {
      await this.abort()
      throw e // a StoreError from the file system, or the message stream's own error
    }
  }
}

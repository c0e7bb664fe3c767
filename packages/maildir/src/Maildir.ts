// A Maildir message store (the tmp/new/cur layout of qmail's maildir(5)) for smtpure servers. A message
// is written into tmp/, every write complete or an error, synced to disk, renamed into new/, and the
// new/ folder synced, all before the server may say 250 (RFC 5321 6.1: a 250 means the message is safe).
// Failures become replies: no room (ENOSPC, EDQUOT) is 452 4.3.1, anything else 451 4.3.0.
//
// Theory of operation: a message takes as few file-system steps as it can, and each runs on the event loop
// while steps of its kind stay quick, else in the thread pool (see FileSteps.ts): the metadata steps (creating
// a file, renaming it, closing it) and the sync steps (a write that is on disk when it returns, a sync) are
// timed apart, since a disk that creates files in microseconds may take milliseconds to make a write durable.
// Octets are gathered in memory (up to `flushOctets`) and written with one writev per copy; the copies of a
// message for several recipients go in parallel; a folder's sync is shared by every rename that happened
// before it started (group commit), through a handle kept open per folder (for the `folderHandles` most
// recently synced folders: a message for more recipients than that would otherwise open and close a folder
// for every copy). The temporary files open across the store are bounded (`openFiles`): a message waits for
// its turn rather than running the process out of descriptors. A store may also be told to take the steps of a
// message for many recipients on a worker thread, in batches (`workerCopies`, off by default; see WorkerSteps.ts):
// its copies' system calls then cost the event loop a message to the worker and one back per kind of step, not a
// system call each, at the memory of a second V8 heap.
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import { mkdir, mkdtemp, readdir, rmdir, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join, sep } from 'node:path'
import { SmtpError } from '@smtpure/driver'
import { FileSteps, finished } from './FileSteps.js'
import { WorkerSteps } from './WorkerSteps.js'

/** The file operations the store uses on one temporary file. */
export interface StoreFile {
  /** Write the buffers in order at the file's position; resolves with the octets written, maybe fewer. */
  readonly writev: (buffers: ReadonlyArray<Uint8Array>) => Promise<number>
  readonly sync: () => Promise<void>
  readonly close: () => Promise<void>
  /** Every write is on disk when it resolves (opened with O_DSYNC), so the store needs no `sync` of its own. */
  readonly synced?: boolean
}

/** What a step that finished at once resolves with: one promise for every caller (a quick step's too). */
const resolved: Promise<void> = finished

const noop = (): void => undefined

/**
 * A node:fs callback call as a promise. Any error is an object: Node passes null on success, Deno (2.x) no
 * argument at all.
 */
const call = <T>(f: (cb: (e: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => f((e, v) => (e ? reject(e) : resolve(v))))

const { O_WRONLY, O_CREAT, O_EXCL, O_DSYNC, O_RDONLY, O_DIRECTORY } = fs.constants

/**
 * A folder is opened (to sync it) with O_DIRECTORY where the system has it: whatever else is found at its
 * path fails at once with ENOTDIR, where opening a named pipe would wait for a writer and never settle.
 */
const FOLDER_FLAGS = O_DIRECTORY === undefined ? 'r' : O_RDONLY | O_DIRECTORY

/** A new file, created exclusively, readable by its owner only, every write on disk when it returns (below). */
const STORE_FILE_FLAGS = O_DSYNC === undefined ? 'wx' : O_WRONLY | O_CREAT | O_EXCL | O_DSYNC

/**
 * The default `openFile`, run as one of the store's metadata steps. Where the system has O_DSYNC, a write
 * returns once its data (and the size needed to read it back) is on disk, as fdatasync would leave it: the
 * write and the sync are one step instead of two.
 */
const openStoreFile = (
  store: Pick<Maildir, 'metadataSteps' | 'syncSteps'>,
  path: string,
  worker?: WorkerSteps,
): Promise<StoreFile> =>
  (worker !== undefined
    ? worker.open(path, STORE_FILE_FLAGS, 0o600)
    : store.metadataSteps.run(
        () => fs.openSync(path, STORE_FILE_FLAGS, 0o600),
        (cb) => fs.open(path, STORE_FILE_FLAGS, 0o600, cb),
      )
  ).then((fd) => new NodeStoreFile(fd, store.metadataSteps, store.syncSteps, worker))

/**
 * A temporary file by its descriptor; its methods are on the prototype, so a copy costs one object. Its writes
 * (on disk when they return, with O_DSYNC) and syncs are sync steps; its close is a metadata step. A file of a
 * delivery with many copies was opened by the store's worker thread, and only the worker can write and close it.
 */
class NodeStoreFile implements StoreFile {
  readonly synced = O_DSYNC !== undefined
  constructor(
    private readonly fd: number,
    private readonly metadataSteps: FileSteps,
    private readonly syncSteps: FileSteps,
    private readonly worker: WorkerSteps | undefined,
  ) {}

  writev(buffers: ReadonlyArray<Uint8Array>): Promise<number> {
    if (this.worker !== undefined) return this.worker.writev(this.fd, buffers)
    const views = buffers as NodeJS.ArrayBufferView[]
    return this.syncSteps.run(
      () => fs.writevSync(this.fd, views),
      (cb) => fs.writev(this.fd, views, null, cb),
    )
  }

  sync(): Promise<void> {
    return this.syncSteps.run(
      () => fs.fsyncSync(this.fd),
      (cb) => fs.fsync(this.fd, cb),
    )
  }

  // With O_DSYNC every octet is on disk before close, which then has nothing to write and returns at once on a
  // local file system: it is one of the quick steps, run in place while they stay quick (a network file system
  // may still wait for its server). Without O_DSYNC the close may write, so it is a sync step.
  close(): Promise<void> {
    if (this.worker !== undefined) return this.worker.close(this.fd)
    return (this.synced ? this.metadataSteps : this.syncSteps).run(
      () => fs.closeSync(this.fd),
      (cb) => fs.close(this.fd, cb),
    )
  }
}

const noProgress = (): Error =>
  Object.assign(new Error('no space left on device (a write made no progress)'), { code: 'ENOSPC' })

/**
 * Write all of `buffers`, in order, looping over short writes. A write that makes no progress fails with
 * an error whose `code` is `ENOSPC`, so a full file system can never leave a silently truncated file.
 */
export const writeFully = (file: Pick<StoreFile, 'writev'>, buffers: ReadonlyArray<Uint8Array>): Promise<void> => {
  let total = 0
  for (const b of buffers) total += b.length
  if (total === 0) return resolved
  // the common case: one writev takes everything (a writev that throws is a rejection, as in writeRest)
  return attempt(() => file.writev(buffers)).then((written) =>
    written === total ? undefined : writeRest(file, buffers, written),
  )
}

/** The rest of `writeFully` after a short write of `written` octets. */
const writeRest = async (
  file: Pick<StoreFile, 'writev'>,
  buffers: ReadonlyArray<Uint8Array>,
  written: number,
): Promise<void> => {
  let rest = buffers.filter((b) => b.length > 0)
  for (;;) {
    if (!(written > 0)) throw noProgress()
    let i = 0
    while (i < rest.length && written >= rest[i]!.length) written -= rest[i++]!.length
    rest = rest.slice(i)
    if (rest.length === 0) return
    if (written > 0) rest[0] = rest[0]!.subarray(written)
    written = await file.writev(rest)
  }
}

const codeOf = (e: unknown): unknown => (e as { code?: unknown } | null)?.code

/** `mkdir(path)`, where a directory (or a link to one) already there counts as made by someone else. */
const mkdirOnce = async (path: string): Promise<boolean> => {
  try {
    await mkdir(path)
    return true
  } catch (e) {
    if (codeOf(e) !== 'EEXIST') throw e
    // stat follows a link: a dangling one fails here with its own ENOENT
    if ((await stat(path)).isDirectory()) return false
    throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), { code: 'ENOTDIR', path })
  }
}

/**
 * `mkdir -p`: make `path` and any missing parents; resolves with the first directory it made, or undefined
 * when `path` was there already. Unlike node:fs's `recursive` option (which mkdirp uses too), it tries each
 * directory at most twice, so it ends with an error where a parent exists but can hold no children: under
 * /proc `mkdir` says ENOENT for the child and EEXIST for its parent, time after time, and Node's loop (20.x)
 * spins on in the thread pool and never settles.
 */
export const makeDirectory = async (path: string): Promise<string | undefined> => {
  try {
    return (await mkdirOnce(path)) ? path : undefined
  } catch (e) {
    const parent = dirname(path)
    if (codeOf(e) !== 'ENOENT' || parent === path) throw e
    const first = await makeDirectory(parent)
    // once more, and only once: ENOENT again means the parent cannot hold it
    return (await mkdirOnce(path)) ? (first ?? path) : first
  }
}

/**
 * Wait for every step, then throw the first failure. A copy's file is closed once its step is over: with
 * Promise.all, a failure in one copy would close the others' descriptors under their running writes or syncs,
 * and a descriptor number reused by the next open would take those octets into another file.
 */
const settleAll = (steps: ReadonlyArray<Promise<unknown>>): Promise<void> =>
  Promise.allSettled(steps).then(firstFailure)

const firstFailure = (settled: ReadonlyArray<PromiseSettledResult<unknown>>): void => {
  for (const s of settled) if (s.status === 'rejected') throw s.reason
}

/** A call as a promise, a synchronous throw as its rejection (so that `settleAll` still waits for the others). */
const attempt = <T>(f: () => Promise<T>): Promise<T> => {
  try {
    return f()
  } catch (e) {
    return Promise.reject(e as Error)
  }
}

/** RFC 3463 4.3.1 (mail system full) and RFC 5321 4.2.2 (452: insufficient system storage) for a full disk. */
const isFull = (e: unknown): boolean => {
  const code = codeOf(e)
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

/**
 * The delivery was called off by its signal (the SMTP session stopped waiting for it: its client heard 451
 * or 421 and will send the message again), or by `abort()`, so it delivered nothing. `cause` is the signal's
 * reason (undefined for `abort()`).
 */
export class DeliveryAbortedError extends Error {
  override readonly cause: unknown
  constructor(cause: unknown) {
    super(
      cause === undefined
        ? 'delivery called off'
        : `delivery called off: ${cause instanceof Error ? cause.message : String(cause)}`,
    )
    this.name = 'DeliveryAbortedError'
    this.cause = cause
  }
}

/**
 * The part of AbortSignal a delivery reads: `aborted` at each check, `reason` once it is. The driver's
 * `session.signal` fits; so does a view of `session.aborted`, which makes no AbortSignal (see `SessionInfo`).
 */
export interface DeliverySignal {
  readonly aborted: boolean
  readonly reason?: unknown
}

const stopIfAborted = (signal: DeliverySignal | undefined): void => {
  if (signal?.aborted === true) throw new DeliveryAbortedError(signal.reason)
}

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

/**
 * A folder path as a case- and normalization-insensitive file system compares it. Only ever used to give two
 * copies different names, so folding too much costs nothing but a name.
 */
const sameOnDisk = (dir: string): string => {
  for (let i = 0; i < dir.length; i++)
    if (dir.charCodeAt(i) > 0x7f) return dir.normalize('NFD').toUpperCase().toLowerCase()
  return dir.toLowerCase()
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
  /**
   * Header fields written before the message, as octets (see `traceBlock` in @smtpure/core), or as pieces
   * written one after another: the copies of a message can then share the pieces that are the same for every
   * recipient (its Received field) and differ only in their own (Delivered-To).
   */
  readonly head: Uint8Array | ReadonlyArray<Uint8Array>
}

/** How one delivery treats its copies (`Maildir.begin`). */
export interface DeliveryOptions {
  /**
   * Each copy lands or fails on its own, as an LMTP server answers each recipient on its own (RFC 2033 4.2):
   * a copy whose folder, file, write, sync, rename or `new/` sync fails is closed and removed (taken back out
   * of `new/` if it got there) while the others go on, and `MaildirDelivery.failures` says which failed and
   * why. The delivery throws only when no copy is left, with the first copy's StoreError. Off (the default),
   * the copies land together or not at all, which one SMTP reply for every recipient needs: a failure of one
   * answered for all with copies left in `new/` would be delivered twice by the client's retry.
   */
  readonly separately?: boolean
}

/** How a store works; `new Maildir` throws a RangeError for a count that is not a whole number from 1 up. */
export interface MaildirOptions {
  /**
   * Open a new file for writing; the default is `open(path, 'wx', 0o600)` with O_DSYNC, run as one of the
   * `metadataSteps`. Tests wrap it to fail.
   */
  readonly openFile?: (path: string) => Promise<StoreFile>
  /**
   * Where the quick steps (opening a new file, renaming it into new/, closing it) run: on the event loop while
   * they take under 50 µs on average, and in the thread pool for a while (50 ms to 5 s) after they do not (the
   * default), or as the given `FileSteps` decides; `new FileSteps({ inline: false })` keeps them in the
   * thread pool.
   */
  readonly metadataSteps?: FileSteps
  /**
   * Where the steps that wait for the disk (a write, each on disk when it returns; the sync of a file or a
   * folder) run, by the same rule as the metadata steps: in place only where the disk answers as quickly as that
   * (tmpfs, or storage that keeps a write safe in its own cache from the moment it takes it), otherwise in the
   * thread pool, tried in place again after 50 ms up to a minute. The default is `new FileSteps({ maxPoolMs: 60000 })`.
   */
  readonly syncSteps?: FileSteps
  /** Octets gathered in memory before they are written out (default 256 KiB); the rest waits for commit. */
  readonly flushOctets?: number
  /**
   * How many folders keep a handle open for their syncs (default 256), the least recently synced closed
   * first. A folder synced without one costs an open and a close more, so a message for more recipients
   * than this pays them for every copy; each handle is one file descriptor for as long as the store runs.
   * A store given a worker thread for deliveries with many copies (`workerCopies`) keeps as many again there
   * for the `new/` folders the worker syncs: up to twice this many in all.
   */
  readonly folderHandles?: number
  /**
   * How many temporary files the store keeps open at once (default 256), one per copy being written. A
   * message takes the files for all its copies in one go, in turn; one for more recipients than this takes
   * them all. Past it, deliveries wait instead of failing with EMFILE (no descriptors left: 451 for all).
   */
  readonly openFiles?: number
  /**
   * A delivery with at least this many copies (default Infinity: none) opens, writes, closes and renames its
   * files on a worker thread the store starts for them, in batches: the steps of all its copies asked for at once
   * cost the event loop one message to the worker and one back, and run on another core. Fewer copies run their
   * steps as `metadataSteps` and `syncSteps` decide (a round trip to the worker costs more than a few steps in
   * place). The worker's steps are timed (`workerTiming`): where they are slow on average (a disk that waits), a
   * delivery with many copies goes by the thread pool for a while instead, where its durable writes wait for the
   * disk side by side rather than one after another; until they have been quick for a spell, one delivery at a
   * time goes to the worker. It is never used with `metadataSteps` or `syncSteps` kept in the thread pool
   * (`inline: false`), with `Infinity`, or by a store given its own `openFile`. Off by default: once started the
   * worker costs about 9 MB, and 10 to 20 MB in all at the peak of a load of 100-recipient messages, for 5 to 11%
   * less time on tmpfs and none on a disk whose syncs wait (docs/deployment.md, "The worker thread").
   */
  readonly workerCopies?: number
  /**
   * The rule for the worker's steps, by their times as the worker reports them (`FileSteps.record`: the running
   * average only; no step of its own runs through it). Default `new FileSteps({ maxPoolMs: 60000 })`: a delivery
   * with many copies goes by the thread pool while their average is over 50 µs, for 50 ms to a minute.
   */
  readonly workerTiming?: FileSteps
}

/** A count option: a whole number from 1 up, or a RangeError that names it. */
const atLeastOne = (name: string, n: number): number => {
  if (Number.isSafeInteger(n) && n >= 1) return n
  throw new RangeError(`Maildir option ${name} must be a whole number of at least 1, not ${String(n)}`)
}

/** `workerCopies`: a whole number from 1 up, or Infinity. */
const copiesOption = (n: number): number => {
  if (n === Infinity || (Number.isSafeInteger(n) && n >= 1)) return n
  throw new RangeError(`Maildir option workerCopies must be a whole number of at least 1 or Infinity, not ${String(n)}`)
}

/** Folder names remembered by address before the memory starts again. */
const MAX_NAMED = 4096

/** Maildir's advice: files left in tmp/ for 36 hours belong to writers that died (maildir(5)). */
export const STALE_TMP_MS = 36 * 60 * 60 * 1000

/**
 * Syncs folders with a handle kept open per folder, and lets every rename that finished before a sync
 * started share that sync (a group commit): callers that come while one runs wait for the next one.
 */
class FolderSyncer {
  constructor(
    private readonly handles: number,
    private readonly steps: FileSteps,
  ) {}
  private readonly fds = new Map<string, Promise<number>>()
  private readonly running = new Map<string, Promise<void>>()
  private readonly next = new Map<string, Promise<void>>()

  sync(dir: string): Promise<void> {
    const queued = this.next.get(dir)
    if (queued !== undefined) return queued
    const current = this.running.get(dir)
    if (current === undefined) return this.start(dir)
    const after = current
      .catch(() => undefined)
      .then(() => {
        this.next.delete(dir)
        return this.start(dir)
      })
    this.next.set(dir, after)
    return after
  }

  private start(dir: string): Promise<void> {
    const run = (this.closed ? this.once(dir) : this.kept(dir)).finally(() => {
      if (this.running.get(dir) === run) this.running.delete(dir)
    })
    this.running.set(dir, run)
    return run
  }

  /** Sync through the handle kept for `dir`. */
  private kept(dir: string): Promise<void> {
    return this.fd(dir)
      .then((fd) =>
        this.steps.run(
          () => fs.fsyncSync(fd),
          (cb) => fs.fsync(fd, cb),
        ),
      )
      .catch((e: unknown) => {
        this.drop(dir) // a folder removed meanwhile is opened again next time
        throw e
      })
  }

  /** Once closed, the store keeps no handle: a delivery still running opens, syncs and closes one. */
  private async once(dir: string): Promise<void> {
    const fd = await call<number>((cb) => fs.open(dir, FOLDER_FLAGS, cb))
    try {
      await this.steps.run(
        () => fs.fsyncSync(fd),
        (cb) => fs.fsync(fd, cb),
      )
    } finally {
      await call<void>((cb) => fs.close(fd, cb)).catch(() => undefined)
    }
  }

  private fd(dir: string): Promise<number> {
    const known = this.fds.get(dir)
    if (known !== undefined) {
      // most recently used last: the map's first key is the one to close
      this.fds.delete(dir)
      this.fds.set(dir, known)
      return known
    }
    if (this.fds.size >= this.handles) this.drop(this.fds.keys().next().value!)
    const opened = call<number>((cb) => fs.open(dir, FOLDER_FLAGS, cb))
    this.fds.set(dir, opened)
    return opened
  }

  private closed = false

  /** Close every handle kept open, to be opened again when next needed. */
  forget(): void {
    for (const dir of [...this.fds.keys()]) this.drop(dir)
  }

  /** Close every handle kept open; syncs asked for later open a handle and close it again. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.running.values()].map((r) => r.catch(() => undefined)))
    for (const dir of [...this.fds.keys()]) this.drop(dir)
    await Promise.all([...this.closing])
  }

  private readonly closing = new Set<Promise<void>>()

  private drop(dir: string): void {
    const fd = this.fds.get(dir)
    this.fds.delete(dir)
    if (fd === undefined) return
    // a sync still running on the handle finishes before it is closed
    const busy = (this.running.get(dir) ?? Promise.resolve()).catch(() => undefined)
    const closing = Promise.all([fd, busy]).then(
      ([n]) => call<void>((cb) => fs.close(n, cb)).catch(() => undefined),
      () => undefined, // it never opened: nothing to close
    )
    this.closing.add(closing)
    void closing.then(() => this.closing.delete(closing))
  }
}

/**
 * Counts the temporary files open across a store. A message takes what all its copies need at once, and
 * messages are served in the order they asked, so none holds some files while it waits for more (no two
 * messages can wait for each other) and a large one is not passed over forever.
 */
class FileSlots {
  private free: number
  private readonly waiting: Array<{ readonly n: number; readonly go: (n: number) => void }> = []
  constructor(private readonly size: number) {
    this.free = size
  }

  /**
   * Take `want` files (at most the whole store's) and call `go` with how many were taken: at once when they
   * are free and no one waits before, otherwise in turn. Returns how to leave the queue while still in it.
   */
  take(want: number, go: (n: number) => void): (() => void) | undefined {
    const n = Math.min(want, this.size)
    if (this.waiting.length === 0 && this.free >= n) {
      this.free -= n
      go(n)
      return undefined
    }
    const entry = { n, go }
    this.waiting.push(entry)
    return () => {
      const at = this.waiting.indexOf(entry)
      if (at === -1) return
      this.waiting.splice(at, 1)
      this.serve() // the next one may fit now
    }
  }

  give(n: number): void {
    this.free += n
    this.serve()
  }

  private serve(): void {
    while (this.waiting.length > 0 && this.free >= this.waiting[0]!.n) {
      const next = this.waiting.shift()!
      this.free -= next.n
      next.go(next.n)
    }
  }
}

/**
 * A root folder holding one Maildir per recipient address.
 * @example
 * const store = new Maildir('/var/mail/smtpure')
 * const delivery = store.begin([{ address: 'alice@example.com', head: traceBlock([received]) }])
 * await delivery.writeAll(message.chunks, session.signal) // then 250; a failure throws a StoreError (451 or 452)
 */
export class Maildir {
  private readonly made = new Set<string>() // folders known to have cur, new and tmp
  /** Folders being made now: a delivery that needs one waits for that making instead of starting another. */
  private readonly making = new Map<string, Promise<void>>()
  readonly openFile: (path: string) => Promise<StoreFile>
  readonly metadataSteps: FileSteps
  readonly syncSteps: FileSteps
  readonly flushOctets: number
  readonly folders: FolderSyncer
  readonly slots: FileSlots
  /** The worker thread that runs the file steps of deliveries with many copies (see `workerCopies`). */
  readonly workerSteps: WorkerSteps
  /** How quick the worker's steps have been (see `MaildirOptions.workerTiming`). */
  readonly workerTiming: FileSteps
  private readonly workerCopies: number
  private readonly ownOpenFile: boolean
  private readonly prefix: string // the root and a separator
  private readonly named = new Map<string, string>() // address to folder, for the addresses of recent messages

  constructor(
    readonly root: string,
    options: MaildirOptions = {},
  ) {
    this.metadataSteps = options.metadataSteps ?? new FileSteps()
    this.syncSteps = options.syncSteps ?? new FileSteps({ maxPoolMs: 60 * 1000 })
    this.openFile = options.openFile ?? ((path) => openStoreFile(this, path))
    this.ownOpenFile = options.openFile !== undefined
    this.workerCopies = copiesOption(options.workerCopies ?? Infinity)
    this.flushOctets = atLeastOne('flushOctets', options.flushOctets ?? 256 * 1024)
    this.folders = new FolderSyncer(atLeastOne('folderHandles', options.folderHandles ?? 256), this.syncSteps)
    this.slots = new FileSlots(atLeastOne('openFiles', options.openFiles ?? 256))
    this.workerTiming = options.workerTiming ?? new FileSteps({ maxPoolMs: 60 * 1000 })
    // the worker's steps are timed as steps in place are, apart from them: a disk slow there ends its use for a while
    this.workerSteps = new WorkerSteps(FOLDER_FLAGS, atLeastOne('folderHandles', options.folderHandles ?? 256), (ms) =>
      this.workerTiming.record(ms),
    )
    const base = join(root)
    this.prefix = base.endsWith(sep) ? base : base + sep
  }

  /** The Maildir folder of an address. */
  folder(address: string): string {
    const known = this.named.get(address)
    if (known !== undefined) return known
    if (this.named.size >= MAX_NAMED) this.named.clear()
    const dir = this.prefix + maildirFolderName(address)
    this.named.set(address, dir)
    return dir
  }

  /**
   * Make `dir` a Maildir (cur, new and tmp) unless this store made it already. Deliveries that need one folder
   * at once (the first messages for a mailbox, from several sessions) share one making of it and its outcome.
   */
  ensure(dir: string): Promise<void> {
    if (this.made.has(dir)) return resolved
    const running = this.making.get(dir)
    if (running !== undefined) return running
    const made = this.make(dir).finally(() => {
      if (this.making.get(dir) === made) this.making.delete(dir)
    })
    this.making.set(dir, made)
    return made
  }

  private async make(dir: string): Promise<void> {
    // tmp/ first, with any missing parents; then cur/ and new/ beside each other. Made all three at once, each
    // would find the folder missing and race the others to make it (more calls, and their errors).
    await makeDirectory(join(dir, 'tmp'))
    await Promise.all([makeDirectory(join(dir, 'cur')), makeDirectory(join(dir, 'new'))])
    // A Maildir's own entries and its entry in the root are synced too, since a 250 must survive a crash
    // (RFC 5321 6.1). Even when the folders were there already: another process, or a delivery running
    // beside this one, may have made them moments ago and not synced them yet. Once per folder per store.
    await Promise.all([this.folders.sync(dir), this.folders.sync(this.root)])
    this.made.add(dir)
  }

  /**
   * Make the root (and its missing parents) and check that a folder can be made in it, so that a root the
   * store cannot use is found before the first message. Rejects with the file system's error (ENOENT,
   * ENOTDIR, EACCES, EROFS, ...); it never hangs on a root under /proc or below a dangling link.
   */
  async prepare(): Promise<void> {
    await makeDirectory(this.root)
    await rmdir(await mkdtemp(join(this.root, '.write-check-')))
  }

  /**
   * Close the folder handles the store keeps for syncing (call it when the server stops); resolves once the
   * syncs running have ended. Deliveries still running go on: from then on each sync opens a handle of its
   * own and closes it again. The worker thread (see `workerCopies`) stops once the deliveries using it end.
   */
  close(): Promise<void> {
    // the worker stops once the deliveries that hold it end; a delivery never ended keeps it (not the process)
    void this.workerSteps.stop()
    return this.folders.close()
  }

  /**
   * The worker for a delivery of `copies` copies, when it should have one (see `workerCopies`); the delivery
   * holds it until it lets go with `release`.
   */
  workerFor(copies: number): WorkerSteps | undefined {
    if (copies < this.workerCopies || this.ownOpenFile || !this.workerSteps.usable) return undefined
    if (!this.metadataSteps.inline || !this.syncSteps.inline) return undefined // kept in the thread pool on purpose
    // Where a durable write waits for the disk, one thread would make each copy's write wait for the one before,
    // where the thread pool's threads wait for several at once: the worker's own steps tell (their running
    // average, as for steps in place). Until they have been quick for a spell (at first, and after a while in
    // the pool), one delivery at a time goes to the worker, so that a slow disk holds up one, not all.
    const timing = this.workerTiming
    if (!timing.inPlace || (!timing.settled && this.workerSteps.holding > 0)) return undefined
    this.workerSteps.hold()
    return this.workerSteps
  }

  /** Open a copy's temporary file: on the delivery's worker if it has one, else with `openFile`. */
  openCopyFile(path: string, worker: WorkerSteps | undefined): Promise<StoreFile> {
    return worker === undefined ? this.openFile(path) : openStoreFile(this, path, worker)
  }

  /**
   * Forget which folders exist, so that they are made again (after a failure, one may have been removed), and
   * close the folder handles: a handle on a removed folder still syncs, but the removed folder, not the one
   * made again in its place, so a rename into the new one would be answered 250 without reaching the disk.
   */
  forget(): void {
    this.made.clear()
    this.making.clear() // a making still running may have found the folder before it was removed
    this.folders.forget()
    this.workerSteps.forget()
  }

  /**
   * Start a message for these targets: its files are opened at once; octets are gathered (see `flushOctets`).
   * The copies land together or not at all, unless `options.separately` (see `DeliveryOptions`).
   */
  begin(targets: ReadonlyArray<MaildirTarget>, options: DeliveryOptions = {}): MaildirDelivery {
    return new MaildirDelivery(this, targets, options.separately === true)
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

/** One copy of a message: a file in the recipient's tmp/, renamed into its new/. */
class Copy {
  /** Open while it is being written; undefined before it is opened and once it is closed. */
  file: StoreFile | undefined = undefined
  /** Why this copy was set aside, in a delivery whose copies land separately. */
  failure: StoreError | undefined = undefined
  constructor(
    /** The header octets, in pieces written in order. */
    readonly head: ReadonlyArray<Uint8Array>,
    readonly dir: string,
    /** Its new/ folder, synced once the copy is renamed into it. */
    readonly inbox: string,
    readonly tmp: string,
    readonly final: string,
  ) {}
}

/** The copies of a message, one per target. */
const copiesOf = (store: Maildir, targets: ReadonlyArray<MaildirTarget>): Copy[] => {
  // A name need only be unique within its folder: the copies share one, and a folder named twice gets another.
  // Folders are told apart as a file system that ignores case and Unicode normalization would (macOS, Windows):
  // there `Ü@x` and `ü@x` are one folder, and a shared name would fail the second exclusive open every time.
  const name = uniqueName()
  const named = targets.length > 1 ? new Set<string>() : undefined
  return targets.map((t) => {
    const dir = store.folder(t.address)
    let own = name
    if (named !== undefined) {
      const folded = sameOnDisk(dir)
      if (named.has(folded)) own = uniqueName()
      named.add(folded)
    }
    const inbox = dir + sep + 'new'
    // an array of pieces, or one piece (a Uint8Array of any realm: a vm context's fails instanceof)
    const head: ReadonlyArray<Uint8Array> = Array.isArray(t.head) ? t.head : [t.head as Uint8Array]
    return new Copy(head, dir, inbox, dir + sep + 'tmp' + sep + own, inbox + sep + own)
  })
}

/**
 * Make the copy's Maildir if need be and open its file; `done(c, true)` once open, `done(c, false, e)` on
 * failure.
 */
const openCopy = (
  store: Maildir,
  c: Copy,
  worker: WorkerSteps | undefined,
  done: (c: Copy, ok: boolean, e?: unknown) => void,
): void => {
  const opened = (file: StoreFile): void => {
    c.file = file
    done(c, true)
  }
  const failed = (e: unknown): void => done(c, false, e)
  store
    .ensure(c.dir)
    .then(() => store.openCopyFile(c.tmp, worker))
    .then(opened, failed)
}

/** Write the heads (the first time) and `body` to one copy. */
const writeCopy = (c: Copy, body: ReadonlyArray<Uint8Array>, heads: boolean): Promise<void> => {
  const file = c.file
  if (file === undefined) return Promise.reject(new Error('the file was closed (the delivery was aborted)'))
  return writeFully(file, heads ? [...c.head, ...body] : body)
}

/**
 * Rename a copy into new/ (a metadata step, or on the worker); it is listed in `renamed` once it may be there, so
 * that a failure takes it back out. In place or in the thread pool that is once the rename succeeded. On the
 * worker it is as soon as the rename is asked for: a worker that dies after its rename but before its answer
 * comes back leaves the copy in new/ with the step failed (removing a final name that was never made finds
 * nothing: it is this copy's own).
 */
const renameCopy = (steps: FileSteps, worker: WorkerSteps | undefined, c: Copy, renamed: Copy[]): Promise<void> => {
  if (worker !== undefined) {
    renamed.push(c)
    return worker.rename(c.tmp, c.final)
  }
  return steps
    .run(
      () => fs.renameSync(c.tmp, c.final),
      (cb) => fs.rename(c.tmp, c.final, cb),
    )
    .then(() => void renamed.push(c))
}

/** Close a copy's file once, whatever happens after (a file descriptor closed twice may be another's). */
const closeCopy = (c: Copy): Promise<void> => {
  const file = c.file
  c.file = undefined
  return file === undefined ? resolved : attempt(() => file.close())
}

/** Close every copy's file; resolves when all are closed (failures are passed over: the data is on disk). */
const closeAll = (copies: ReadonlyArray<Copy>): Promise<void> => {
  let running: Array<Promise<void>> | undefined
  for (const c of copies) {
    const closing = closeCopy(c)
    if (closing !== resolved) (running ??= []).push(closing.catch(noop))
  }
  return running === undefined ? resolved : Promise.all(running).then(noop)
}

/** One step per copy: one copy's step as it is, several settled together (see `settleAll`). */
const eachCopy = (copies: ReadonlyArray<Copy>, step: (c: Copy) => Promise<void>): Promise<void> =>
  copies.length === 1 ? step(copies[0]!) : settleAll(copies.map(step))

/**
 * One message being written into several Maildirs at once. Every method throws StoreError when the file system
 * fails, and DeliveryAbortedError once the delivery was called off (by its signal or by `abort()`).
 *
 * Theory of operation: past `writeAll`'s loop, a message's path is one chain of promises with no async function
 * on it, and each copy is an object of one class. A store that has just started spends more time warming its
 * code than running it; that code is now smaller, and no change of a copy's shape throws it away once it is
 * optimized (the copies' `file`, added late, did so three times per run).
 */
export class MaildirDelivery {
  private copies: Copy[]
  private gathered: Uint8Array[] = []
  private octets = 0
  private headsWritten = false
  /**
   * The opens, then every flush's writes in turn (each flush waits for the one before, so octets stay in order
   * and a commit waits for every write): abort lets them end before it closes the files.
   */
  private writing: Promise<void> = resolved
  /** Set by `abort()`: no write starts after it, and a commit running stops before it delivers. */
  private aborted = false
  /** The commit, once asked for: a second call gets the same outcome, and abort waits for it. */
  private committing: Promise<void> | undefined = undefined
  /** The files closed and removed, once begun (by abort, or by a failed write or commit). */
  private cleaning: Promise<void> | undefined = undefined
  /** The copies' files being opened: started at once, so that opening overlaps the message's arrival. */
  private readonly opening: Promise<void>
  /** Files taken from the store's `openFiles`, given back once every copy is closed. */
  private held = 0
  /** Leave the queue for a turn not yet given. */
  private cancelTurn: (() => void) | undefined = undefined
  private readonly store: Maildir
  /** The store's worker, for a delivery with many copies (see `workerCopies`). */
  private readonly worker: WorkerSteps | undefined
  /** Every copy, one per target in order, set aside or not (see `failures`). */
  private readonly all: ReadonlyArray<Copy>

  constructor(
    store: Maildir,
    targets: ReadonlyArray<MaildirTarget>,
    /** Copies land or fail on their own (`DeliveryOptions.separately`). */
    private readonly separately = false,
  ) {
    this.store = store
    const copies = copiesOf(store, targets)
    this.copies = copies
    this.all = copies
    const worker = store.workerFor(copies.length)
    this.worker = worker
    let opened: () => void = noop
    let failed: (e: unknown) => void = noop
    this.opening = new Promise<void>((resolve, reject) => {
      opened = resolve
      failed = reject
    })
    this.opening.catch(noop) // awaited by flush and abort; never left unhandled
    this.writing = this.opening
    // The message's turn (see `openFiles`), then every open settles before the first failure is told, so that
    // abort finds each file that was opened.
    const go = (n: number): void => {
      this.held = n
      this.cancelTurn = undefined
      let left = copies.length
      if (left === 0) return opened()
      let failure: { readonly e: unknown } | undefined
      const one = (c: Copy, ok: boolean, e?: unknown): void => {
        if (!ok) {
          failure ??= { e }
          if (separately) c.failure = storeError(e)
        }
        if (--left > 0) return
        if (failure === undefined) return opened()
        if (!separately) return failed(failure.e)
        try {
          this.keepStanding() // the copies whose open failed are set aside; none left throws the first's failure
        } catch (x) {
          return failed(x)
        }
        opened()
      }
      for (const c of copies) openCopy(store, c, worker, one)
    }
    const cancel = store.slots.take(copies.length, go)
    // called off while waiting: nothing was made or opened, and nothing will be
    if (cancel !== undefined)
      this.cancelTurn = () => {
        cancel()
        opened()
      }
  }

  /** At the end, delivered or not: give back the files taken from `openFiles`, and the worker. */
  private giveBack(): void {
    const n = this.held
    this.held = 0
    if (n > 0) this.store.slots.give(n)
    if (this.worker !== undefined && !this.workerReleased) {
      this.workerReleased = true
      this.worker.release()
    }
  }

  private workerReleased = false

  /**
   * Per target, in the order given to `begin`: undefined for a copy that is (or may still be) delivered, else
   * the StoreError that kept it out of `new/` (452 4.3.1 for a full disk or quota, else 451 4.3.0). Only a
   * delivery begun with `separately` sets aside single copies; read it once `commit` or `writeAll` resolved.
   */
  get failures(): ReadonlyArray<StoreError | undefined> {
    return this.all.map((c) => c.failure)
  }

  /**
   * One step on every copy still standing. Copies landing together: settled together, the first failure
   * thrown. Landing separately: a copy whose step fails is set aside (closed, its file removed) and the step
   * fails only once no copy is left.
   */
  private stepEach(step: (c: Copy) => Promise<void>): Promise<void> {
    const copies = this.copies
    if (!this.separately) return eachCopy(copies, step)
    return Promise.all(copies.map((c) => attempt(() => step(c)).catch((e: unknown) => this.setAsideSynced(c, e)))).then(
      () => this.keepStanding(),
    )
  }

  /**
   * Set a copy aside after a failed step; when its file was found in new/ (a rename on a worker that died may
   * have happened) the removal is synced too, so that a crash does not bring back a copy its client heard 451 for.
   */
  private setAsideSynced(c: Copy, e: unknown): Promise<void> {
    return setAside(c, e).then((inNew) => (inNew ? this.store.folders.sync(c.inbox).catch(noop) : undefined))
  }

  /** Drop the copies set aside from the delivery; throw the first one's failure when none is left. */
  private keepStanding(): void {
    const copies = this.copies
    if (copies.every(standing)) return
    this.store.forget() // a folder may have been removed: it is made again by the next delivery
    const left = copies.filter(standing)
    if (left.length === 0) throw copies[0]!.failure
    this.copies = left
  }

  /**
   * Append octets to every copy; they are written out once `flushOctets` have gathered. After `commit` was
   * called it rejects with an Error (the octets could reach no file), after `abort` with DeliveryAbortedError.
   */
  write(chunk: Uint8Array): Promise<void> {
    if (this.committing !== undefined) return Promise.reject(new Error('write after commit: the message is sealed'))
    if (this.aborted) return Promise.reject(new DeliveryAbortedError(undefined))
    this.gathered.push(chunk)
    this.octets += chunk.length
    return this.octets >= this.store.flushOctets ? this.flush() : resolved
  }

  /** Open the copies (the first time) and write what has gathered to each, in parallel. */
  private flush(): Promise<void> {
    const body = this.gathered
    this.gathered = []
    this.octets = 0
    const heads = !this.headsWritten
    this.headsWritten = true
    // after the flush before (and the opens): a write not awaited is never overtaken, nor left running
    const writing = this.writing.then(() =>
      this.aborted
        ? Promise.reject(new DeliveryAbortedError(undefined))
        : this.stepEach((c) => writeCopy(c, body, heads)),
    )
    this.writing = writing
    return writing.catch(this.flushFailed)
  }

  private readonly flushFailed = (e: unknown): never => {
    // the delivery can no longer succeed: its files are closed and removed now, whether or not abort follows
    void this.cleanUp()
    if (e instanceof DeliveryAbortedError) throw e
    this.store.forget()
    throw storeError(e)
  }

  /**
   * Write what is left, sync every copy, rename each into new/ and sync the new/ folders. If any step fails,
   * copies already in new/ are taken back out, so a failure (and the client's retry) delivers nothing twice.
   *
   * `signal` (the hook's `session.signal`) calls the delivery off: aborted before the renames, nothing reaches
   * new/; aborted while they run, the copies are taken back out of new/ once they settle. Either way it throws
   * `DeliveryAbortedError`. What remains: a mail reader that moved a copy out of new/ in the moments between its
   * rename and that removal keeps it, and a crash in those moments leaves it delivered. `abort()` called while
   * the commit runs stops it the same way. Called again, it returns the first call's outcome.
   */
  commit(signal?: DeliverySignal): Promise<void> {
    return (this.committing ??= this.commitOnce(signal))
  }

  /** Stop if the delivery was called off, by its signal or by `abort()`. */
  private stopIfCalledOff(signal: DeliverySignal | undefined): void {
    stopIfAborted(signal)
    if (this.aborted) throw new DeliveryAbortedError(undefined)
  }

  private commitOnce(signal: DeliverySignal | undefined): Promise<void> {
    const renamed: Copy[] = []
    return this.flush()
      .then(() => (this.separately ? this.stepEach(syncCopy) : syncCopies(this.copies)))
      .then(() => {
        // the session stopped waiting: its client heard 451 or 421 and will send the message again
        this.stopIfCalledOff(signal)
        // every rename settles before any is judged, so none lands in new/ after a failure was cleaned up
        return this.stepEach((c) => renameCopy(this.store.metadataSteps, this.worker, c, renamed))
      })
      .then(() => this.syncInboxes(this.copies))
      .then(() => {
        // called off while the copies were moving into new/: they come back out (below)
        this.stopIfCalledOff(signal)
        this.copies = []
        this.giveBack()
      })
      .catch((e: unknown) => this.undo(e, renamed))
  }

  /** Close the files (the data is on disk: a failed close loses nothing, so it runs beside) and sync new/. */
  private syncInboxes(copies: ReadonlyArray<Copy>): Promise<void> {
    const closed = closeAll(copies)
    const folders = this.store.folders
    const worker = this.worker
    const sync = (d: string): Promise<void> => (worker === undefined ? folders.sync(d) : worker.syncFolder(d))
    const synced = this.separately
      ? this.syncInboxesSeparately(copies, sync)
      : copies.length === 1
        ? sync(copies[0]!.inbox)
        : Promise.all([...new Set(copies.map((c) => c.inbox))].map(sync)).then(noop)
    return closed === resolved ? synced : Promise.all([synced, closed]).then(noop)
  }

  /** Sync each new/ folder; the copies in a folder whose sync fails are taken back out and set aside. */
  private syncInboxesSeparately(copies: ReadonlyArray<Copy>, sync: (dir: string) => Promise<void>): Promise<void> {
    const inboxes = [...new Set(copies.map((c) => c.inbox))]
    const each = inboxes.map((d) =>
      attempt(() => sync(d)).catch((e: unknown) =>
        // the removal is synced too, which may fail as the sync just did: then nothing more can be done
        Promise.all(copies.filter((c) => c.inbox === d).map((c) => this.setAsideSynced(c, e))),
      ),
    )
    return Promise.all(each).then(() => this.keepStanding())
  }

  /** After a failure: take copies already renamed back out of new/, remove the rest, and throw. */
  private async undo(e: unknown, renamed: ReadonlyArray<Copy>): Promise<never> {
    if (renamed.length > 0) {
      const gone = [...renamed]
      await Promise.all(gone.map((c) => unlink(c.final).catch(noop)))
      // the removals reach the disk too, so that a crash does not bring the copies back
      const inboxes = new Set(gone.map((c) => c.inbox))
      await Promise.all([...inboxes].map((d) => this.store.folders.sync(d).catch(noop)))
    }
    await this.cleanUp()
    if (e instanceof DeliveryAbortedError) throw e
    this.store.forget() // a folder removed behind our back is made again by the next delivery
    throw storeError(e)
  }

  /**
   * Remove the temporary files; nothing reaches new/. Writes still running end before their files are closed.
   * A commit running stops (it rejects with DeliveryAbortedError and takes back any copy it renamed) and has
   * settled when this resolves; a commit that resolved first has delivered, and this then does nothing.
   */
  async abort(): Promise<void> {
    this.aborted = true
    if (this.cancelTurn !== undefined) {
      // still waiting for its turn: nothing was made or opened, and nothing will be
      this.cancelTurn()
      this.cancelTurn = undefined
      this.copies = []
      this.gathered = []
    }
    if (this.committing !== undefined) await this.committing.catch(noop)
    await this.cleanUp()
  }

  /** Close and remove the files, once: a second caller waits for the first's closes too. */
  private cleanUp(): Promise<void> {
    return (this.cleaning ??= this.closeAndRemove())
  }

  private async closeAndRemove(): Promise<void> {
    await this.opening.catch(noop) // files still being opened are closed and removed too
    await this.writing.catch(noop) // and files being written to are closed once the writes end
    const copies = this.copies
    this.copies = []
    this.gathered = []
    await Promise.all(
      copies.map(async (c) => {
        await closeCopy(c).catch(noop)
        await unlink(c.tmp).catch(noop) // ENOENT when it was never opened, or renamed already
      }),
    )
    this.giveBack()
  }

  /**
   * Write every chunk and commit; on any failure abort and throw (a StoreError for the file system). With
   * `signal`, an abort stops the delivery and nothing is delivered (see `commit`): `DeliveryAbortedError`.
   */
  async writeAll(chunks: AsyncIterable<Uint8Array>, signal?: DeliverySignal): Promise<void> {
    try {
      for await (const chunk of chunks) {
        stopIfAborted(signal)
        const written = this.write(chunk)
        if (written !== resolved) await written
      }
      await this.commit(signal)
    } catch (e) {
      await this.abort()
      throw e // a StoreError from the file system, or the message stream's own error
    }
  }
}

/** A copy not set aside. */
const standing = (c: Copy): boolean => c.failure === undefined

/**
 * Set a copy aside: its failure kept, its file closed and removed, from tmp/ or from new/ (a rename on a worker
 * that died may have happened; a final name never made is this copy's own, so its removal finds nothing).
 * Resolves true when the file was found in new/ and removed there.
 */
const setAside = (c: Copy, e: unknown): Promise<boolean> => {
  c.failure = storeError(e)
  return closeCopy(c)
    .catch(noop)
    .then(() =>
      Promise.all([
        unlink(c.tmp).catch(noop),
        unlink(c.final).then(
          () => true,
          () => false,
        ),
      ]),
    )
    .then(([, inNew]) => inNew)
}

/** Sync one copy's file unless it writes through (opened with O_DSYNC). */
const syncCopy = (c: Copy): Promise<void> => (c.file?.synced === true ? resolved : c.file!.sync())

/** Sync the copies whose files do not write through (opened without O_DSYNC). */
const syncCopies = (copies: ReadonlyArray<Copy>): Promise<void> => {
  let all = true
  for (const c of copies) if (c.file?.synced !== true) all = false
  return all ? resolved : settleAll(copies.map((c) => attempt(() => syncCopy(c))))
}

// A worker thread that runs a store's file steps in batches: the steps asked for in one turn of the event loop
// go to it in one message and come back in one message.
//
// Theory of operation: a message for many recipients takes five system calls per copy (open, writev, close,
// rename, and a share of a folder sync), each a few microseconds on a quick disk and more on a slow one. Run on
// the event loop, they are its main cost for such a message, and every session waits behind them; in libuv's
// thread pool each step costs the event loop a wake-up and a callback, more than the step itself. Sent to one
// worker thread a batch at a time, a hundred copies' opens cost the event loop one message each way, and the
// system calls run on another core. A single copy gains nothing (one round trip to the worker costs more than
// its steps in place), so the store sends only the steps of a delivery with many copies here (see
// `MaildirOptions.workerCopies`).
//
// The worker runs each batch's steps in order, with node:fs's synchronous calls, and answers each with its value
// or its error (code, errno, syscall, path and dest, as node:fs gives them). A file the worker opened is the
// worker's alone: Deno numbers files per thread, and Node closes a worker's files when it stops. So a delivery
// that opened its files here writes, closes and renames them here too, and syncs its new/ folders here, through
// handles the worker keeps (bounded, closed again by `forget`). The worker is started with the first batch,
// holds the process open only while a batch is out, and is stopped by `stop` once no delivery holds it, after it
// has closed its folder handles (Bun leaves a worker's files open when it ends).
import { Worker } from 'node:worker_threads'

/** One step, as the worker runs it. */
type Step =
  | { readonly kind: 'open'; readonly path: string; readonly flags: number | string; readonly mode: number }
  | { readonly kind: 'writev'; readonly fd: number; readonly buffers: ReadonlyArray<Uint8Array> }
  | { readonly kind: 'close'; readonly fd: number }
  | { readonly kind: 'syncFolder'; readonly path: string }
  | { readonly kind: 'forget' }
  | { readonly kind: 'rename'; readonly from: string; readonly to: string }

/** A step's outcome: its value, or the fields of its error. */
type Outcome =
  | { readonly v: unknown; readonly t?: number }
  | {
      readonly e: {
        readonly message: string
        readonly code?: unknown
        readonly errno?: unknown
        readonly syscall?: unknown
        readonly path?: unknown
        readonly dest?: unknown
      }
    }

interface Waiter {
  readonly resolve: (v: unknown) => void
  readonly reject: (e: unknown) => void
}

// The worker's code, as text (`eval`): the store is bundled into other programs, where a file beside it for
// the worker would not be found. CommonJS, which Node, Bun and Deno all run for an evaluated worker.
const WORKER = `
const fs = require('node:fs')
const { parentPort, workerData } = require('node:worker_threads')
const { folderFlags, folderHandles } = workerData
const folders = new Map() // path to handle, most recently synced last
const runs = {} // steps run, by kind
const WARM = 16
const drop = (path) => {
  const fd = folders.get(path)
  folders.delete(path)
  if (fd !== undefined) try { fs.closeSync(fd) } catch {}
}
const syncFolder = (path) => {
  let fd = folders.get(path)
  if (fd === undefined) {
    if (folders.size >= folderHandles) drop(folders.keys().next().value)
    fd = fs.openSync(path, folderFlags)
  } else folders.delete(path)
  folders.set(path, fd)
  try { fs.fsyncSync(fd) } catch (e) { drop(path); throw e }
}
const failure = (e) => ({ e: { message: String(e && e.message), code: e && e.code, errno: e && e.errno,
  syscall: e && e.syscall, path: e && e.path, dest: e && e.dest } })
const run = (s) => {
  switch (s.kind) {
    case 'open': return fs.openSync(s.path, s.flags, s.mode)
    case 'writev': return fs.writevSync(s.fd, s.buffers)
    case 'close': return fs.closeSync(s.fd)
    case 'syncFolder': return syncFolder(s.path)
    case 'forget': for (const path of [...folders.keys()]) drop(path); return
    case 'rename': return fs.renameSync(s.from, s.to)
  }
  throw new Error('unknown step ' + s.kind)
}
parentPort.on('message', ({ id, steps }) => {
  const outcomes = steps.map((s) => {
    const start = performance.now()
    try {
      const v = run(s)
      // the first steps of a kind warm the worker's code up: their times say nothing of the disk
      const n = (runs[s.kind] = (runs[s.kind] || 0) + 1)
      return n > WARM ? { v, t: performance.now() - start } : { v }
    } catch (e) { return failure(e) }
  })
  parentPort.postMessage({ id, outcomes })
})
`

/** The error a step failed with, made again on this side with the fields node:fs gives. */
const errorOf = (e: Extract<Outcome, { e: unknown }>['e']): Error => {
  const error = new Error(e.message) as Error & Record<string, unknown>
  for (const k of ['code', 'errno', 'syscall', 'path', 'dest'] as const) if (e[k] !== undefined) error[k] = e[k]
  return error
}

/**
 * Runs file steps on one worker thread, in batches (see the theory of operation above). Each method resolves
 * with what node:fs's synchronous call returns, or rejects with its error (the same `code`, `errno`, `syscall`,
 * `path` and `dest`). Once the worker has failed, every step rejects; once `stop` was called, no new delivery
 * takes it (`usable` is false), and it takes steps only while a delivery still holds it. `steps` and `batches`
 * count what was sent.
 */
export class WorkerSteps {
  steps = 0
  batches = 0
  private worker: Worker | undefined
  private queue: Array<{ readonly step: Step; readonly waiter: Waiter }> = []
  private readonly out = new Map<number, Waiter[]>()
  private nextId = 0
  private stopped: Error | undefined
  private closing = false

  /** Can a delivery take the worker (it has not failed, and is not being stopped)? */
  get usable(): boolean {
    return this.stopped === undefined && !this.closing
  }

  /**
   * `folderFlags`: how the worker opens a folder to sync it; `folderHandles`: how many it keeps open; `timed`:
   * told how long each step that succeeded took there, in milliseconds (but the first 16 of each kind, while the
   * worker's code warms up).
   */
  constructor(
    private readonly folderFlags: number | string = 'r',
    private readonly folderHandles = 256,
    private readonly timed: (ms: number) => void = () => undefined,
  ) {}

  /** open(2) of `path`: resolves with the descriptor. */
  open(path: string, flags: number | string, mode: number): Promise<number> {
    return this.send({ kind: 'open', path, flags, mode }) as Promise<number>
  }

  /** writev(2): resolves with the octets written, maybe fewer than given. */
  writev(fd: number, buffers: ReadonlyArray<Uint8Array>): Promise<number> {
    return this.send({ kind: 'writev', fd, buffers }) as Promise<number>
  }

  close(fd: number): Promise<void> {
    return this.send({ kind: 'close', fd }) as Promise<void>
  }

  rename(from: string, to: string): Promise<void> {
    return this.send({ kind: 'rename', from, to }) as Promise<void>
  }

  /** fsync(2) of a folder, through a handle the worker keeps for it. */
  syncFolder(path: string): Promise<void> {
    return this.send({ kind: 'syncFolder', path }) as Promise<void>
  }

  /**
   * Close the folder handles the worker keeps (a folder removed and made again needs a new one). While the store
   * is being closed too: deliveries that hold the worker may still make a folder again and sync it there.
   */
  forget(): void {
    if (this.worker !== undefined && this.stopped === undefined)
      void this.send({ kind: 'forget' }).catch(() => undefined)
  }

  /** A delivery takes the worker for its files: `stop` waits until every one has let go (`release`). */
  hold(): void {
    this.holders += 1
  }

  release(): void {
    this.holders -= 1
    this.whenIdle()
  }

  private holders = 0

  /** How many deliveries hold the worker now. */
  get holding(): number {
    return this.holders
  }

  /**
   * Stop the worker once no delivery holds it and the batches out have come back; from now on no delivery takes
   * it (`usable` is false), and a step asked for by none rejects.
   */
  stop(): Promise<void> {
    this.closing = true
    return new Promise<void>((resolve) => {
      this.idlers.push(resolve)
      queueMicrotask(() => this.whenIdle()) // after a batch still queued in this turn is sent
    })
  }

  private readonly idlers: Array<() => void> = []

  private whenIdle(): void {
    if (this.holders > 0 || this.out.size > 0 || this.queue.length > 0 || this.idlers.length === 0) return
    const w = this.worker
    this.worker = undefined
    const done = this.idlers.splice(0)
    void (w === undefined ? Promise.resolve(0) : this.end(w)).then(() => done.forEach((f) => f()))
  }

  /**
   * End a worker stopped on purpose: it closes the folder handles it keeps, then it is terminated. Bun, unlike
   * Node and Deno, leaves a worker's files open when the worker ends. A worker that ends first is not waited for.
   */
  private end(w: Worker): Promise<number> {
    return new Promise<void>((resolve) => {
      w.once('exit', () => resolve())
      const id = this.nextId++
      this.out.set(id, [{ resolve: () => resolve(), reject: () => resolve() }])
      w.ref() // until it has answered: `stop` resolves even in a process with nothing else to do
      w.postMessage({ id, steps: [{ kind: 'forget' }] })
    }).then(() => w.terminate())
  }

  private send(step: Step): Promise<unknown> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped)
    if (this.closing && this.holders === 0)
      return Promise.reject(new Error('the store was closed: its file worker takes no more steps'))
    return new Promise((resolve, reject) => {
      // after this turn's promise jobs too: the steps they ask for go in the same batch
      if (this.queue.length === 0) process.nextTick(this.flush)
      this.queue.push({ step, waiter: { resolve, reject } })
    })
  }

  private readonly flush = (): void => {
    const queue = this.queue
    this.queue = []
    if (queue.length === 0) return
    const worker = this.started()
    if (worker === undefined) {
      for (const q of queue) q.waiter.reject(this.stopped)
      return this.whenIdle()
    }
    this.post(worker, queue)
    this.whenIdle() // when none could be sent
  }

  /**
   * Send steps to the worker as one batch. A step that cannot be copied to it (its buffer detached, say) fails
   * alone: the batch is then sent a step at a time, in order.
   */
  private post(worker: Worker, queue: ReadonlyArray<{ readonly step: Step; readonly waiter: Waiter }>): void {
    const id = this.nextId++
    try {
      const copies = new Map<Uint8Array, Uint8Array>()
      worker.postMessage({ id, steps: queue.map((q) => compact(q.step, copies)) })
    } catch (e) {
      if (queue.length === 1) queue[0]!.waiter.reject(e)
      else for (const q of queue) this.post(worker, [q])
      return
    }
    // its answer comes in a later turn
    this.out.set(
      id,
      queue.map((q) => q.waiter),
    )
    if (this.out.size === 1) worker.ref() // the process waits for the answer
    this.steps += queue.length
    this.batches += 1
  }

  private started(): Worker | undefined {
    if (this.worker !== undefined || this.stopped !== undefined) return this.worker
    try {
      // no flags of the process (`--input-type=module` would make the code an ES module, without require)
      const w = new Worker(WORKER, {
        eval: true,
        execArgv: [],
        workerData: { folderFlags: this.folderFlags, folderHandles: this.folderHandles },
        // it keeps little for long: a small young generation keeps the process's memory down
        resourceLimits: { maxYoungGenerationSizeMb: 2 },
      })
      w.on('message', (m: { id: number; outcomes: Outcome[] }) => this.answered(m))
      w.on('error', (e) => this.fail(e, w))
      w.on('exit', (code) => this.fail(new Error(`the store's file worker stopped (exit code ${code})`), w))
      w.unref()
      this.worker = w
      return w
    } catch (e) {
      this.fail(e)
      return undefined
    }
  }

  private answered({ id, outcomes }: { id: number; outcomes: Outcome[] }): void {
    const waiters = this.out.get(id)
    this.out.delete(id)
    if (this.out.size === 0) this.worker?.unref()
    if (waiters !== undefined)
      waiters.forEach((w, i) => {
        const o = outcomes[i]
        if (o === undefined) w.reject(new Error('the file worker gave no answer for a step'))
        else if ('e' in o) w.reject(errorOf(o.e))
        else {
          if (o.t !== undefined) this.timed(o.t)
          w.resolve(o.v)
        }
      })
    this.whenIdle()
  }

  /**
   * The worker `w` (or its start) failed or stopped: every step out fails, and so does every later one. A worker
   * stopped on purpose was let go first (`whenIdle`), and its end is no failure; one that ends otherwise is, even
   * while the store is being closed, when no batch is out: a delivery that holds it would send its next batch to
   * a worker that no longer answers.
   */
  private fail(e: unknown, w?: Worker): void {
    if (w !== undefined && w !== this.worker) return
    this.stopped ??= e instanceof Error ? e : new Error(String(e))
    this.worker = undefined
    for (const waiters of this.out.values()) for (const w of waiters) w.reject(this.stopped)
    this.out.clear()
    this.whenIdle()
  }
}

/**
 * A step as it is sent. A view of a few octets into a large buffer (a pooled Buffer) is copied first, since
 * the whole buffer under a view would be copied to the worker; once per batch (`copies`), as the copies of a
 * message share their body's views.
 */
const compact = (step: Step, copies: Map<Uint8Array, Uint8Array>): Step => {
  if (step.kind !== 'writev') return step
  let small: Uint8Array[] | undefined
  step.buffers.forEach((b, i) => {
    if (b.byteLength * 2 >= b.buffer.byteLength) return
    small ??= [...step.buffers]
    let copy = copies.get(b)
    if (copy === undefined) copies.set(b, (copy = b.slice()))
    small[i] = copy
  })
  return small === undefined ? step : { kind: 'writev', fd: step.fd, buffers: small }
}

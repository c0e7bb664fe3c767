// Where the store's file-system steps run: on the event loop while steps of a kind are quick, else in the thread
// pool. A store keeps one FileSteps for its metadata steps (create, rename, close) and one for its sync steps (a
// write that is on disk when it returns, an fsync): on most disks the first are quick and the second are not.
//
// Theory of operation: a step handed to libuv's thread pool costs the event loop a pool thread's wake-up and a
// callback, tens of microseconds of its own time, where creating a file or renaming it on tmpfs or on a local
// disk that is not busy takes a few, and so does a durable write on tmpfs or on storage that keeps a write safe
// in its own cache. But the same step can wait for milliseconds on a file system under load (a journal commit, a
// network mount, a disk flushing its cache), and on the event loop that wait would stall every session. So each step run
// in place is timed. Once a running average of those times passes `slowMs`, or one step takes twenty times that,
// the steps go to the thread pool for a while, and then are tried in place again. Each time counts at most four
// times `slowMs` in the average, so that a few slow steps among many quick ones do not tip it.
//
// A busy machine preempts the event loop's thread now and then, in the middle of a step on the quickest file
// system: one step then seems to take milliseconds. The while is therefore short (`poolMs`) after a spell of
// `SPELL` steps or more in place, and doubles, up to `maxPoolMs`, after a spell shorter than that: a file system
// that stays slow is tried less and less often, and each try stalls the event loop for one slow step (or a few
// that each took under twenty times `slowMs`). A file system that is slow only now and then, for one step in a
// few hundred, ends long spells too, so the while also lasts until `QUIET` times the step that ended the spell
// has passed since the spell began: such steps then stall the event loop for at most a twentieth of the time.

/** How `FileSteps` decides; every field is optional. */
export interface FileStepsOptions {
  /**
   * Run steps on the event loop at all (default true). False sends every step to the thread pool, as a store on
   * a network file system may want.
   */
  readonly inline?: boolean
  /** The average time of a step run in place above which steps go to the thread pool, in milliseconds (default 0.05). */
  readonly slowMs?: number
  /** How long steps first stay in the thread pool before they are tried in place again, in milliseconds (default 50). */
  readonly poolMs?: number
  /** The longest they stay there, in milliseconds (default 5000). */
  readonly maxPoolMs?: number
  /**
   * A monotonic clock in milliseconds (default `performance.now`). It must not throw: `run` reads it before and
   * after each step run in place, and a throw there is thrown by `run` instead of being its rejection.
   */
  readonly now?: () => number
}

/**
 * What a step run in place that gives no value resolves with: one promise for every such step (the store tells a
 * step that finished at once from one still running by it).
 */
export const finished: Promise<void> = Promise.resolve()

/**
 * The default clock, one function for every store: the metadata and sync steps of a store call it from the same
 * code, which V8 compiles for the one function it saw there, and throws away (deoptimizes) when another comes.
 */
const monotonicNow = (): number => performance.now()

/** Weight of the newest time in the running average: 1/16. */
const WEIGHT = 1 / 16

/** Steps in place after which a file system counts as quick again: the next while in the pool is `poolMs`. */
const SPELL = 64

/**
 * A spell that a step of `ms` ended, and the while in the pool after it, last at least `QUIET` times `ms`
 * together: steps run in place stall the event loop for at most one part in `QUIET` of the time.
 */
const QUIET = 20

/**
 * Runs one kind of a store's file steps (its metadata steps: opening a new file, renaming it, closing it once its
 * octets are on disk; or its sync steps: a write that is on disk when it returns, an fsync) either in place,
 * synchronously and timed, or in the thread pool; see the theory of operation above. Either way a step is a
 * promise: the value, or the file system's error (the same `code`, `syscall` and `path` as node:fs gives).
 * `inlineSteps` and `pooledSteps` count the steps run each way.
 * @example
 * new Maildir(root, { syncSteps: new FileSteps({ inline: false }) }) // durable writes and syncs always in the pool
 * @throws RangeError from the constructor for a `slowMs`, `poolMs` or `maxPoolMs` that is not a number above 0.
 */
export class FileSteps {
  inlineSteps = 0
  pooledSteps = 0
  /** Are steps run in place at all (`inline`, default true)? False keeps them in the thread pool for good. */
  readonly inline: boolean
  private readonly slowMs: number
  private readonly poolMs: number
  private readonly maxPoolMs: number
  private readonly now: () => number
  /** Running average of the times of steps run in place, in milliseconds. */
  private average = 0
  /** Steps run in place since they were last tried there. */
  private spell = 0
  /** When (of `now`) the first of those steps started. */
  private spellStart = 0
  /** The last while in the pool, in milliseconds. */
  private lastPoolMs = 0
  /** Steps go to the thread pool until this time (of `now`). */
  private pooledUntil = -Infinity

  constructor(options: FileStepsOptions = {}) {
    this.inline = options.inline ?? true
    this.slowMs = positive('slowMs', options.slowMs ?? 0.05)
    this.poolMs = positive('poolMs', options.poolMs ?? 50)
    this.maxPoolMs = Math.max(this.poolMs, positive('maxPoolMs', options.maxPoolMs ?? 5000))
    this.now = options.now ?? monotonicNow
  }

  /** Are steps run in place now? */
  get inPlace(): boolean {
    if (!this.inline) return false
    if (this.pooledUntil === -Infinity) return true
    if (this.now() < this.pooledUntil) return false
    this.pooledUntil = -Infinity // try in place again, with a fresh average
    this.average = 0
    this.spell = 0
    return true
  }

  /** Have steps of this kind been quick for a spell: in place now, and for 64 steps or more since last tried? */
  get settled(): boolean {
    return this.inPlace && this.spell >= SPELL
  }

  /**
   * Run one step: `sync` in place (a throw becomes the rejection), or `async` (a node:fs call taking its
   * callback) in the thread pool.
   */
  run<T>(sync: () => T, async: (done: (e: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> {
    if (!this.inPlace) {
      this.pooledSteps += 1
      return new Promise((resolve, reject) => async((e, v) => (e ? reject(e) : resolve(v))))
    }
    this.inlineSteps += 1
    const start = this.now()
    try {
      const v = sync()
      return v === undefined ? (finished as Promise<T>) : Promise.resolve(v)
    } catch (e) {
      return Promise.reject(e as Error)
    } finally {
      this.took(start, this.now())
    }
  }

  /**
   * A step of this kind that ran synchronously elsewhere (on the store's worker thread) took `ms` milliseconds:
   * it counts in the running average as a step run in place, so that a disk that is slow there sends the steps
   * to the thread pool too. Only the average: such a step stalls no event loop, so one slow step alone (more
   * often a thread preempted on a busy machine than a slow disk) moves nothing, and counts as at most four
   * times `slowMs`, as every time does. Steps recorded while the steps are in the thread pool (the rest of a
   * batch that began before they went there) count for nothing: the while there doubles as it should.
   */
  record(ms: number): void {
    const end = this.now()
    if (end < this.pooledUntil) return
    this.took(end - Math.min(ms, 4 * this.slowMs), end)
  }

  /** A step run in place from `start` to `end`. */
  private took(start: number, end: number): void {
    const ms = end - start
    if (this.spell === 0) this.spellStart = start
    this.spell += 1
    this.average += (Math.min(ms, 4 * this.slowMs) - this.average) * WEIGHT
    if (this.average <= this.slowMs && ms <= 20 * this.slowMs) return
    const doubled = this.spell >= SPELL ? this.poolMs : Math.max(this.poolMs, 2 * this.lastPoolMs)
    // the spell and the while together last QUIET times this step (a rare slow step ends long spells too)
    const quiet = QUIET * ms - (end - this.spellStart)
    this.lastPoolMs = Math.min(this.maxPoolMs, Math.max(doubled, quiet))
    this.pooledUntil = end + this.lastPoolMs
  }
}

const positive = (name: string, n: number): number => {
  if (Number.isFinite(n) && n > 0) return n
  throw new RangeError(`FileSteps option ${name} must be a number above 0, not ${String(n)}`)
}

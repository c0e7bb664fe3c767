// Where the store's quick file-system steps run: on the event loop while they are quick, else in the thread pool.
//
// Theory of operation: a step handed to libuv's thread pool costs the event loop a pool thread's wake-up and a
// callback, tens of microseconds of its own time, where creating a file or renaming it on tmpfs or on a local
// disk that is not busy takes a few. But the same step can wait for milliseconds on a file system under load (a
// journal commit, a network mount), and on the event loop that wait would stall every session. So each step run
// in place is timed, and once a running average of those times passes `slowMs`, or one step takes twenty times
// that, the steps go to the thread pool for `poolMs`; then they are tried in place again. Each time counts at
// most four times `slowMs` in the average, so that one step whose thread was preempted does not count as many;
// a step that slow still sends the steps away at once, so a probe of a slow file system stalls the event loop
// for one step, or a few that are each under a millisecond. Steps that wait for the disk by design
// (writes to a file opened with O_DSYNC, fsync) never come here: they always run in the thread pool.

/** How `MetadataSteps` decides; every field is optional. */
export interface MetadataStepsOptions {
  /**
   * Run steps on the event loop at all (default true). False sends every step to the thread pool, as a store on
   * a network file system may want.
   */
  readonly inline?: boolean
  /** The average time of a step run in place above which steps go to the thread pool, in milliseconds (default 0.05). */
  readonly slowMs?: number
  /** How long steps stay in the thread pool before they are tried in place again, in milliseconds (default 1000). */
  readonly poolMs?: number
  /** A monotonic clock in milliseconds (default `performance.now`). */
  readonly now?: () => number
}

/** Weight of the newest time in the running average: 1/16. */
const WEIGHT = 1 / 16

/**
 * Runs the metadata steps of a store (opening a new file, renaming a file) either in place, synchronously and
 * timed, or in the thread pool; see the theory of operation above. Either way a step is a promise: the value,
 * or the file system's error (the same `code`, `syscall` and `path` as node:fs gives).
 * `inlineSteps` and `pooledSteps` count the steps run each way.
 */
export class MetadataSteps {
  inlineSteps = 0
  pooledSteps = 0
  private readonly inline: boolean
  private readonly slowMs: number
  private readonly poolMs: number
  private readonly now: () => number
  /** Running average of the times of steps run in place, in milliseconds. */
  private average = 0
  /** Steps go to the thread pool until this time (of `now`). */
  private pooledUntil = -Infinity

  constructor(options: MetadataStepsOptions = {}) {
    this.inline = options.inline ?? true
    this.slowMs = positive('slowMs', options.slowMs ?? 0.05)
    this.poolMs = positive('poolMs', options.poolMs ?? 1000)
    this.now = options.now ?? (() => performance.now())
  }

  /** Are steps run in place now? */
  get inPlace(): boolean {
    if (!this.inline) return false
    if (this.pooledUntil === -Infinity) return true
    if (this.now() < this.pooledUntil) return false
    this.pooledUntil = -Infinity // try in place again, with a fresh average
    this.average = 0
    return true
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
      return Promise.resolve(sync())
    } catch (e) {
      return Promise.reject(e as Error)
    } finally {
      this.took(this.now() - start)
    }
  }

  private took(ms: number): void {
    this.average += (Math.min(ms, 4 * this.slowMs) - this.average) * WEIGHT
    if (this.average > this.slowMs || ms > 20 * this.slowMs) this.pooledUntil = this.now() + this.poolMs
  }
}

const positive = (name: string, n: number): number => {
  if (Number.isFinite(n) && n > 0) return n
  throw new RangeError(`MetadataSteps option ${name} must be a number above 0, not ${String(n)}`)
}

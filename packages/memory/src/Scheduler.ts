// Virtual time for simulations: one queue of events ordered by (virtual time, insertion), run one at a
// time, the clock jumping straight to the next one (quinn-proto's test Pair works the same way: drive
// until idle, then advance to the next timeout). The driver answers through promises, so after every
// event the scheduler lets all promise jobs run before it takes the next event; the order of work is then
// a function of the seed alone. Implements the driver's `Runtime`: timers, `now` and `randomToken`.
import type { Runtime } from '@smtpure/driver'
import { Random } from './Random.js'

interface Event {
  readonly at: number
  readonly seq: number
  fire: (() => void) | undefined
}

/** 2008-01-15T21:02:43Z, the start of every run's wall clock (virtual time 0). */
export const EPOCH_MS = Date.UTC(2008, 0, 15, 21, 2, 43)

type Macrotask = (f: () => void) => void
const host = globalThis as unknown as {
  setImmediate?: (f: () => void) => unknown
  setTimeout: (f: () => void, ms: number) => unknown
}
// A macrotask runs only once every queued promise job has run: waiting for one drains them all.
const macrotask: Macrotask = host.setImmediate ? (f) => void host.setImmediate!(f) : (f) => void host.setTimeout(f, 0)
const drained = (): Promise<void> => new Promise((resolve) => macrotask(resolve))

/** A virtual clock and event queue, seeded. */
export class Scheduler {
  /** Virtual milliseconds since the run began. */
  now = 0
  /** Added to `now` for wall-clock readings: a clock jump moves this, never the timers. */
  wallOffsetMs = 0
  /** Events run so far. */
  steps = 0
  /** The most events that were ever waiting at once (a leak of timers shows here). */
  maxPending = 0
  readonly random: Random
  private heap: Event[] = []
  private seq = 0
  private live = 0

  constructor(readonly seed: number) {
    this.random = new Random(seed)
  }

  /**
   * Run `fire` after `ms` virtual milliseconds (at least 0: a negative `ms` is 0); returns its cancel function.
   * `Infinity` never fires.
   * @throws RangeError for an `ms` that is not a number (NaN would make every later time NaN).
   */
  at(ms: number, fire: () => void): () => void {
    if (typeof ms !== 'number' || Number.isNaN(ms))
      throw new RangeError(`Scheduler: a delay must be a number of virtual milliseconds, given ${String(ms)}`)
    if (ms === Infinity) return () => undefined
    const e: Event = { at: this.now + Math.max(0, Math.floor(ms)), seq: this.seq++, fire }
    this.push(e)
    this.live++
    return () => {
      if (e.fire === undefined) return
      e.fire = undefined
      this.live--
    }
  }

  /**
   * A promise that settles after `ms` virtual milliseconds (`Infinity`: never).
   * @throws RangeError (the promise rejects), as `at`, for an `ms` that is not a number.
   */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => void this.at(ms, resolve))
  }

  /** Events waiting (cancelled ones excluded). */
  pending(): number {
    return this.live
  }

  /** The virtual time of the next event, if any. */
  next(): number | undefined {
    while (this.heap.length > 0 && this.heap[0]!.fire === undefined) this.pop()
    return this.heap[0]?.at
  }

  /**
   * Run events until `stop()` says so, the queue is empty, or the next event lies past `untilMs` (virtual
   * milliseconds; `Infinity` for no limit). Promise jobs are drained before the first event and after every one.
   * @throws RangeError (the promise rejects) for an `untilMs` that is not a number: no event would ever lie past it.
   */
  async run(untilMs: number, stop: () => boolean = () => false): Promise<void> {
    if (typeof untilMs !== 'number' || Number.isNaN(untilMs))
      throw new RangeError(`Scheduler: run needs a time limit in virtual milliseconds, given ${String(untilMs)}`)
    await drained()
    for (;;) {
      if (stop()) return
      const at = this.next()
      if (at === undefined || at > untilMs) return
      const e = this.pop()!
      const fire = e.fire!
      e.fire = undefined
      this.live--
      this.now = e.at
      this.steps++
      if (this.live > this.maxPending) this.maxPending = this.live
      fire()
      await drained()
    }
  }

  /** The driver's Runtime on this clock: virtual timers, a virtual wall clock (UTC) and seeded tokens. */
  runtime(): Runtime {
    return {
      setTimer: (ms, fire) => this.at(ms, fire),
      randomToken: () => this.random.token(),
      now: () => ({ epochMs: EPOCH_MS + this.now + this.wallOffsetMs, offsetMinutes: 0 }),
    }
  }

  private push(e: Event): void {
    const h = this.heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(e, h[p]!)) break
      h[i] = h[p]!
      i = p
    }
    h[i] = e
  }

  private pop(): Event | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (top === undefined || last === undefined || h.length === 0) return top
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= h.length) break
      const r = l + 1
      const c = r < h.length && before(h[r]!, h[l]!) ? r : l
      if (!before(h[c]!, last)) break
      h[i] = h[c]!
      i = c
    }
    h[i] = last
    return top
  }
}

const before = (x: Event, y: Event): boolean => x.at < y.at || (x.at === y.at && x.seq < y.seq)

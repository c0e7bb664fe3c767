// Seeded randomness for simulations: every choice a run makes comes from here, so one seed gives one
// run. Built on pure-rand's xoroshiro128+ (the generator fast-check uses), advanced in place.
import { uniformInt } from 'pure-rand/distribution/uniformInt'
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator'

/**
 * The largest seed, 2^32 - 1: the generator is seeded with 32 bits, so a larger seed (or a negative one) could
 * only repeat the run of a seed in [0, MAX_SEED].
 */
export const MAX_SEED = 2 ** 32 - 1

/** Is `n` a seed: a whole number from 0 to `MAX_SEED`? */
export const isSeed = (n: unknown): n is number =>
  Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_SEED

/** A seeded source of choices. Not for secrets: tokens from it are predictable by design. */
export class Random {
  private readonly rng: RandomGenerator

  /**
   * `stream` picks an independent sequence for the same seed.
   * @throws RangeError when `seed` is not a whole number from 0 to `MAX_SEED`, or `stream` one from 0 to 65535.
   */
  constructor(seed: number, stream = 0) {
    if (!isSeed(seed)) throw new RangeError(`a seed is a whole number from 0 to ${MAX_SEED}, given ${String(seed)}`)
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffff)
      throw new RangeError(`a stream is a whole number from 0 to 65535, given ${String(stream)}`)
    // every seed in range gives a generator of its own: XOR with a constant is one-to-one on 32 bits
    this.rng = xoroshiro128plus((seed ^ Math.imul(stream + 1, 0x9e3779b1)) | 0)
  }

  /**
   * An integer in [min, max], both included.
   * @throws RangeError when a bound is not a safe integer (NaN, a fraction, undefined from a config) or `min > max`:
   * pure-rand would return NaN for the one and never return for the other.
   */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max)
      throw new RangeError(`Random.int needs safe integers with min <= max, given [${String(min)}, ${String(max)}]`)
    return uniformInt(this.rng, min, max)
  }

  /** A number in [0, 1) with 30 bits of precision. */
  float(): number {
    return (this.rng.next() >>> 2) / 0x40000000
  }

  /** True with probability `p` (0 never, 1 always; no draw is made for either). */
  chance(p: number): boolean {
    if (p <= 0) return false
    if (p >= 1) return true
    return this.float() < p
  }

  /** One of `items`, which must not be empty (a RangeError from `int`). */
  pick<A>(items: ReadonlyArray<A>): A {
    return items[this.int(0, items.length - 1)]!
  }

  /** Twelve characters of base 36. */
  token(): string {
    const a = (this.rng.next() >>> 0).toString(36).padStart(7, '0')
    const b = (this.rng.next() >>> 0).toString(36).padStart(7, '0')
    return (a + b).slice(0, 12)
  }
}

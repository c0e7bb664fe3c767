// The seeded source of choices: integers stay inside their bounds, and bounds that are not a range
// are refused with a RangeError instead of a NaN (or a draw that never returns); seeds are the
// generator's 32 bits, and one past them is refused rather than taken as the seed it would repeat.
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { OptionsError } from '@smtpure/driver'
import { MAX_SEED, Random, Simulation } from '../src/index.js'

const safe = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })

describe('Random', () => {
  describe('int', () => {
    test.prop([fc.nat(), safe, safe])('draws within [min, max], both included', (seed, a, b) => {
      const [min, max] = a <= b ? [a, b] : [b, a]
      const n = new Random(seed).int(min, max)
      expect(Number.isSafeInteger(n)).toBe(true)
      expect(n).toBeGreaterThanOrEqual(min)
      expect(n).toBeLessThanOrEqual(max)
    })

    test.prop([fc.nat(), safe, safe])('throws a RangeError when min > max', (seed, a, b) => {
      fc.pre(a !== b)
      const [min, max] = a > b ? [a, b] : [b, a]
      expect(() => new Random(seed).int(min, max)).toThrow(RangeError)
    })

    const notSafe = fc.oneof(
      fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), undefined as unknown as number),
      fc.double({ noNaN: true }).filter((x) => !Number.isInteger(x)),
    )
    test.prop([fc.nat(), notSafe, fc.integer()])(
      'throws a RangeError for a bound that is not a safe integer',
      (seed, x, n) => {
        const r = new Random(seed)
        expect(() => r.int(x, n)).toThrow(RangeError)
        expect(() => r.int(n, x)).toThrow(RangeError)
      },
    )

    it.each([
      [1, 0],
      [NaN, NaN],
      [0, 1.5],
    ])('names the bounds it was given: int(%s, %s)', (min, max) => {
      expect(() => new Random(1).int(min, max)).toThrow(`given [${min}, ${max}]`)
    })
  })

  it('refuses to pick from nothing, rather than give undefined', () => {
    expect(() => new Random(1).pick([])).toThrow(RangeError)
  })

  describe('seeds', () => {
    const last = 2 ** 32 - 1
    const seed = fc.integer({ min: 0, max: last })
    const tokens = (r: Random) => [r.token(), r.token()].join()

    test.prop([fc.uniqueArray(seed, { minLength: 2, maxLength: 2 })])('two seeds draw apart', ([a, b]) => {
      expect(tokens(new Random(a!))).not.toBe(tokens(new Random(b!)))
    })

    it('takes 2^32 - 1 as the last seed', () => {
      expect(MAX_SEED).toBe(last)
      expect(tokens(new Random(last))).not.toBe(tokens(new Random(0)))
    })

    // 4294967297 drew exactly what 1 drew: only the part of a seed that fits in 32 bits was used
    test.prop([fc.oneof(fc.integer({ min: last + 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ max: -1 }))])(
      'refuses a seed past the 32 bits, which would repeat the run of one within them',
      (s) => {
        expect(() => new Random(s)).toThrow(RangeError)
        expect(() => new Simulation({ seed: s })).toThrow(OptionsError)
      },
    )

    it.each([NaN, 1.5, Infinity, undefined])('refuses the seed %s', (s) => {
      expect(() => new Random(s as number)).toThrow(`a seed is a whole number from 0 to 4294967295, given ${s}`)
      expect(() => new Simulation({ seed: s as number })).toThrow(
        `invalid simulation options:\nseed: expected a whole number from 0 to 4294967295, given ${s}`,
      )
    })

    it.each([
      [null, 'null'],
      ['seed 1', '"seed 1"'],
      [[1], '[1]'],
    ])('refuses options that are no object (%j), in the words createSmtpServer uses', (options, given) => {
      expect(() => new Simulation(options as never)).toThrow(
        `invalid simulation options:\n(options): expected an object of options, given ${given}`,
      )
    })
  })
})

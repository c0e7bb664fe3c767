// The seeded source of choices: integers stay inside their bounds, and bounds that are not a range
// are refused with a RangeError instead of a NaN (or a draw that never returns).
import { fc, test } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { Random } from '../src/index.js'

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
})

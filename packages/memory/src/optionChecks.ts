// The pieces the simulation's options are checked with at the edge (io-ts codecs that keep plain numbers, and
// problem lines in the driver's `OptionsError` style: `path: expected ..., given ...`), so a rate or a duration
// that is not one fails when the world is made, not as a NaN clock or a draw that never returns.
import * as t from 'io-ts'
import { MAX_SEED, isSeed } from './Random.js'

/** A codec of the values `test` holds for, named by what it expects (`a probability from 0 to 1`). */
const numberWhere = (name: string, test: (n: number) => boolean): t.Type<number, number, unknown> =>
  new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && test(u),
    (u, c) => (typeof u === 'number' && test(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  )

/** A chance per event: 0 never, 1 always. */
export const Probability = numberWhere('a probability from 0 to 1', (n) => n >= 0 && n <= 1)

/** The longest virtual duration an option takes: 2^31 - 1 ms (about 24.8 days), as for a runtime's timer. */
export const MAX_MS = 2 ** 31 - 1

/** Whole virtual milliseconds from 0 to `MAX_MS`. */
export const Milliseconds = numberWhere(
  `whole milliseconds from 0 to ${MAX_MS}`,
  (n) => Number.isInteger(n) && n >= 0 && n <= MAX_MS,
)

/** A seed of the generator (`Random`): a whole number from 0 to `MAX_SEED`. */
export const Seed = numberWhere(`a whole number from 0 to ${MAX_SEED}`, isSeed)

/** A value as a problem line shows it: numbers as written (NaN, not JSON's null), anything else as JSON. */
export const shown = (value: unknown): string => {
  if (value === undefined || typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return `[${value.map(shown).join(', ')}]`
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** `path.to.key` (`[i]` for an index), with `path` in front when there is one. */
const joined = (path: string, keys: ReadonlyArray<string>): string =>
  keys.reduce((at, k) => (/^\d+$/.test(k) ? `${at}[${k}]` : at === '' ? k : `${at}.${k}`), path)

/** What `codec` refuses in `value`, one line per path: `path: expected <what>, given <value>`. */
export const problemLines = (codec: t.Decoder<unknown, unknown>, value: unknown, path: string): string[] => {
  const result = codec.decode(value)
  if (result._tag === 'Right') return []
  const lines = result.left.map((e) => {
    const keys = e.context.map((c) => c.key).filter((k) => k !== '')
    const expected = e.context[e.context.length - 1]?.type.name ?? codec.name
    return `${joined(path, keys)}: expected ${expected}, given ${shown(e.value)}`
  })
  return [...new Set(lines)]
}

/**
 * Keys of `value` that `known` does not have, one line each (io-ts `exact` would only strip them, and a
 * misspelled rate would silently stay at its default).
 */
export const unknownKeys = (known: object, value: unknown, path: string): string[] => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return []
  const names = Object.keys(known)
  return Object.keys(value)
    .filter((k) => !Object.hasOwn(known, k))
    .map((k) => {
      const same = names.find((n) => n.toLowerCase() === k.toLowerCase())
      return `${joined(path, [k])}: unknown option${same === undefined ? '' : ` (did you mean ${same}?)`}`
    })
}

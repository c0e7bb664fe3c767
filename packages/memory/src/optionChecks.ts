// The pieces the simulation's options are checked with at the edge (io-ts codecs that keep plain numbers, and
// problem lines in the driver's `OptionsError` style: `path: expected ..., given ...`), so a rate or a duration
// that is not one fails when the world is made, not as a NaN clock or a draw that never returns.
import * as t from 'io-ts'
import { typeProblems, unknownKeys as optionKeys } from '@smtpure/driver'
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

export { shown } from '@smtpure/driver'

/** `path.` to put in front of a key, or nothing at the top. */
const prefix = (path: string): string => (path === '' ? '' : `${path}.`)

/** What `codec` refuses in `value`, one line per path: `path: expected <what>, given <value>` (the driver's lines). */
export const problemLines = (codec: t.Decoder<unknown, unknown> & t.Mixed, value: unknown, path: string): string[] =>
  typeProblems(codec, value, prefix(path))

/**
 * Keys of `value` that `fields` (an object of codecs) does not have, one line each, with the driver's "did you mean"
 * (io-ts `exact` would only strip them, and a misspelled rate would silently stay at its default). One level only:
 * each nested object is checked where its own problems are (`faults.links` by `linkProblems`).
 */
export const unknownKeys = (fields: t.Props, value: unknown, path: string): string[] =>
  optionKeys(t.partial(Object.fromEntries(Object.keys(fields).map((k) => [k, t.unknown]))), value, prefix(path))

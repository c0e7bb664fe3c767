// The options of a simulated world, checked when it is made: a seed, the fault rates (faults.ts) and whether
// to keep the trace. Options often come from a file or a command line, so they are decoded like any
// untrusted config, and every problem is one line of an `OptionsError`, named by its path.
import { OptionsError } from '@smtpure/driver'
import * as t from 'io-ts'
import { FaultRates, faultProblems } from './faults.js'
import { Seed, problemLines, shown, unknownKeys } from './optionChecks.js'

/** Options of a simulated world. */
export interface SimulationOptions {
  /** A whole number from 0 to `MAX_SEED` (2^32 - 1): one seed, one run. */
  readonly seed: number
  /** The run's fault rates (default none). */
  readonly faults?: FaultRates
  /** Keep every trace event (for replay and diagrams), not only the hash. */
  readonly keepTrace?: boolean
}

const fields = { seed: Seed, faults: FaultRates, keepTrace: t.boolean } satisfies Record<
  keyof SimulationOptions,
  t.Mixed
>

/**
 * `options`, checked: the seed a whole number from 0 to `MAX_SEED`, `keepTrace` true or false, and the fault
 * rates as `faultProblems` says.
 * @throws OptionsError (`invalid simulation options:`, then one line per problem such as
 * `faults.slowMs: expected at least 1 ms while hookSlow is above 0, given 0`) when they do not fit.
 * @example
 * checkedOptions({ seed: 1, faults: { ...noFaults, hookSlow: 0.5, slowMs: 30_000 } })
 */
export const checkedOptions = (options: SimulationOptions): SimulationOptions => {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new OptionsError('simulation', [`(options): expected an object of options, given ${shown(options)}`])
  const { seed, faults, keepTrace } = options as { seed?: unknown; faults?: unknown; keepTrace?: unknown }
  const problems = [
    ...unknownKeys(fields, options, ''),
    ...problemLines(fields.seed, seed, 'seed'),
    ...(faults === undefined ? [] : faultProblems(faults, 'faults')),
    ...(keepTrace === undefined ? [] : problemLines(fields.keepTrace, keepTrace, 'keepTrace')),
  ]
  if (problems.length > 0) throw new OptionsError('simulation', problems)
  return options
}

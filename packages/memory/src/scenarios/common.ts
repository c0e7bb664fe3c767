// What both scenarios share: the report of one run, message bodies made from the seed, and the checks
// on byte-identical copies and on duplicates.
import { encode } from '@smtpure/core'
import { OptionsError } from '@smtpure/driver'
import * as t from 'io-ts'
import { type ProfileName, profileNames } from '../faults.js'
import { Seed, problemLines, unknownKeys } from '../optionChecks.js'
import type { Random } from '../Random.js'
import type { Attempt, SimMessage, Summary } from '../Simulation.js'
import type { TraceEvent } from '../Trace.js'

/** Bugs a test can plant to show that the invariants catch them. */
export type PlantedBug =
  /** The server says 250 and commits a moment later (a crash in between loses the message). */
  | 'ack-before-store'
  /** The relay forgets its queue when it restarts. */
  | 'forget-queue'

/** The scenario each planted bug lives in: its code runs there and nowhere else. */
export const bugScenarios: Readonly<Record<PlantedBug, 'direct' | 'relay'>> = {
  'ack-before-store': 'direct',
  'forget-queue': 'relay',
}

/** How one seed is run. */
export interface RunOptions {
  /** A whole number from 0 to `MAX_SEED` (2^32 - 1). */
  readonly seed: number
  readonly profile: ProfileName
  /** Keep every trace event, for replay and diagrams. */
  readonly keepTrace?: boolean
  readonly bug?: PlantedBug
}

const runFields = {
  seed: Seed,
  profile: t.keyof({ calm: null, faulty: null, brutal: null }, `one of ${profileNames.join(', ')}`),
  keepTrace: t.boolean,
  bug: t.keyof({ 'ack-before-store': null, 'forget-queue': null }, 'a planted bug'),
} satisfies Record<keyof RunOptions, t.Mixed>

/**
 * `options` of a run of `scenario`, checked: the seed a whole number from 0 to `MAX_SEED`, a profile by its name,
 * and a planted bug of that scenario (one of the other would run as no bug at all, and prove nothing).
 * @throws OptionsError (`invalid run options:`, one line per problem) when they do not fit.
 */
export const checkedRun = (options: RunOptions, scenario: 'direct' | 'relay'): RunOptions => {
  const o = options as unknown as Record<string, unknown>
  const problems = [
    ...unknownKeys(runFields, options, ''),
    ...(['seed', 'profile'] as const).flatMap((k) => problemLines(runFields[k], o[k], k)),
    ...(['keepTrace', 'bug'] as const).flatMap((k) => (o[k] === undefined ? [] : problemLines(runFields[k], o[k], k))),
  ]
  const home = runFields.bug.is(o.bug) ? bugScenarios[o.bug] : scenario
  if (home !== scenario)
    problems.push(`bug: ${String(o.bug)} is planted in the ${home} scenario, not the ${scenario} one`)
  if (problems.length > 0) throw new OptionsError('run', problems)
  return options
}

/** The outcome of one seed: counts, the trace hash, and every invariant that did not hold. */
export interface RunReport {
  readonly scenario: 'direct' | 'relay'
  readonly seed: number
  readonly profile: ProfileName
  readonly summary: Summary
  readonly traceHash: string
  readonly violations: ReadonlyArray<string>
  /** Virtual milliseconds the run lasted and events it ran. */
  readonly virtualMs: number
  readonly steps: number
  /** Server sessions run (each one greeting to close). */
  readonly sessions: number
  /** The most events ever waiting at once. */
  readonly maxPending: number
  readonly trace: ReadonlyArray<TraceEvent> | undefined
}

/** One message a client submits, and what became of each attempt. */
export interface Submission {
  readonly id: string
  readonly client: string
  readonly server: string
  readonly message: SimMessage
  readonly attempts: Attempt[]
  final: 'accepted' | 'rejected' | undefined
}

const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliett']

/**
 * A message body with a Message-ID, drawn from the seed: lines of words, some starting with a dot (so
 * stuffing is exercised), now and then a line of 8-bit octets, sizes from a few lines to tens of KB.
 */
export const makeBody = (r: Random, id: string, from: string | null, to: ReadonlyArray<string>): Uint8Array => {
  const lines = [
    `From: ${from ?? 'MAILER-DAEMON'}`,
    `To: ${to.join(', ')}`,
    `Message-ID: <${id}>`,
    `Subject: simulated ${id}`,
    '',
  ]
  const count = r.chance(0.1) ? r.int(200, 800) : r.int(1, 20)
  let eight = false
  for (let i = 0; i < count; i++) {
    const n = r.int(0, 12)
    const parts: string[] = []
    for (let k = 0; k < n; k++) parts.push(r.pick(words))
    let line = parts.join(' ')
    if (r.chance(0.1)) line = '.' + line
    if (r.chance(0.03)) {
      line += ' \u00e9t\u00e9'
      eight = true
    }
    lines.push(line)
  }
  if (r.chance(0.1)) lines.push('.')
  const text = lines.join('\r\n') + '\r\n'
  // 8-bit octets go as Latin-1 bytes: the client declares BODY=8BITMIME for them (RFC 6152).
  return eight ? latin1(text) : encode(text)
}

const latin1 = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff
  return out
}

/** The Message-ID in a stored body, without angle brackets. */
export const messageIdOf = (body: Uint8Array): string | undefined => {
  const head = String.fromCharCode(...body.subarray(0, Math.min(body.length, 512)))
  return /\r\nMessage-ID: <([^>\r\n]+)>/i.exec('\r\n' + head)?.[1]
}

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Does `whole` end with `tail`? */
export const endsWith = (whole: Uint8Array, tail: Uint8Array): boolean =>
  whole.length >= tail.length && sameBytes(whole.subarray(whole.length - tail.length), tail)

/** Events waiting at once past which a run counts as leaking (timers or deliveries that never end). */
export const MAX_PENDING = 1000

/** Attempts whose final reply may have been lost or was 250: each may have left a copy (RFC 5321 6.1). */
export const mayHaveCopied = (attempts: ReadonlyArray<Attempt>): number =>
  attempts.filter((a) => a.status === 'accepted' || a.status === 'unknown').length

/** Retry delay after `n` failed attempts: 30 s doubling to at most 10 min, with jitter from the seed. */
export const backoff = (r: Random, n: number): number =>
  Math.min(600_000, 30_000 * 2 ** Math.min(n, 5)) + r.int(0, 5000)

/** The replay command for a seed. */
export const replayLine = (scenario: string, seed: number, profile: string, bug?: PlantedBug): string =>
  `npx smtpure simulate --scenario ${scenario} --profile ${profile} --seed ${seed}${bug ? ` --bug ${bug}` : ''}`

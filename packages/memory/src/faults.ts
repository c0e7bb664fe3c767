// The fault model. A profile names how rough a run may be; the rates of one run are drawn from the seed
// within the profile (swarm testing: some seeds leave a fault out entirely, some turn it up), so a
// million seeds cover calm runs and brutal ones alike. Rates given by hand are checked here, at the edge.
import { OptionsError } from '@smtpure/driver'
import * as t from 'io-ts'
import { Milliseconds, Probability, problemLines, shown, unknownKeys } from './optionChecks.js'
import type { Random } from './Random.js'

/** How links behave. Probabilities are per delivery (a piece arriving) unless said otherwise. */
export interface LinkFaults {
  /** Virtual milliseconds a piece takes, drawn uniformly in [min, max]. */
  readonly latencyMs: readonly [number, number]
  /** Chance that a delivery carries a random prefix of what is in flight rather than all of it. */
  readonly split: number
  /** Reset the connection at a random octet of this delivery. */
  readonly reset: number
  /** Hold this direction for `stallMs` (so timeouts fire); `stallMs` is at least 1 while `stall` is above 0. */
  readonly stall: number
  readonly stallMs: number
  /** Per connection: the client end stops reading for good. */
  readonly deaf: number
  /** Per handshake: the TLS handshake fails. */
  readonly tlsFailure: number
  /** Per delivery from a client: the client half-closes (sends FIN) right after it, and writes no more. */
  readonly halfClose: number
}

/** A network without faults: 1-5 ms latency, writes arrive whole or merged. */
export const calmLinks: LinkFaults = Object.freeze({
  latencyMs: Object.freeze([1, 5] as const),
  split: 0,
  reset: 0,
  stall: 0,
  stallMs: 0,
  deaf: 0,
  tlsFailure: 0,
  halfClose: 0,
}) // frozen, as is `noFaults`: a test that changed them would change every later seed of its process

const isLatency = (u: unknown): u is readonly [number, number] =>
  Array.isArray(u) && u.length === 2 && Milliseconds.is(u[0]) && Milliseconds.is(u[1]) && u[0] <= u[1]
const Latency = new t.Type<readonly [number, number], readonly [number, number], unknown>(
  '[min, max] in whole milliseconds, min <= max',
  isLatency,
  (u, c) => (isLatency(u) ? t.success(u) : t.failure(u, c)),
  t.identity,
)

const linkFields = {
  latencyMs: Latency,
  split: Probability,
  reset: Probability,
  stall: Probability,
  stallMs: Milliseconds,
  deaf: Probability,
  tlsFailure: Probability,
  halfClose: Probability,
} satisfies Record<keyof LinkFaults, t.Mixed>

/** The codec of `LinkFaults`: rates from 0 to 1, latencies and durations in whole virtual milliseconds. */
export const LinkFaults: t.Type<LinkFaults, LinkFaults, unknown> = t.type(linkFields, 'LinkFaults')

/** `path.name: expected at least 1 ms while <rate> is above 0` when a fault that takes time is given none. */
const takesTime = (rate: number, rateName: string, ms: number, path: string, name: string): string[] =>
  rate > 0 && ms < 1 ? [`${path}.${name}: expected at least 1 ms while ${rateName} is above 0, given ${shown(ms)}`] : []

/**
 * What is wrong with link faults given at `path`, one line each: an unknown key, a rate that is not a
 * probability, a latency that is not a range of whole milliseconds, or a stall of no length (with no latency
 * either, it would hold a delivery at one virtual instant for ever).
 */
export const linkProblems = (links: unknown, path: string): string[] => {
  const problems = [...unknownKeys(linkFields, links, path), ...problemLines(LinkFaults, links, path)]
  if (problems.length > 0 || !LinkFaults.is(links)) return problems
  return takesTime(links.stall, 'stall', links.stallMs, path, 'stallMs')
}

/**
 * `links`, checked as `linkProblems` says.
 * @throws OptionsError (`invalid network options:`, one line per problem) when they do not fit.
 */
export const checkedLinks = (links: LinkFaults, path = 'links'): LinkFaults => {
  const problems = linkProblems(links, path)
  if (problems.length > 0) throw new OptionsError('network', problems)
  return links
}

/** Every fault a run can inject, as rates. Hook rates are per hook call. */
export interface FaultRates {
  readonly links: LinkFaults
  /** The store is full: the message hook refuses with 452 4.3.1. */
  readonly storeFull: number
  /** The message hook throws (the driver answers 451). */
  readonly hookThrows: number
  /** The message hook answers after 1 to `slowMs` ms (at least 1 while `hookSlow` is above 0). */
  readonly hookSlow: number
  readonly slowMs: number
  /** The message hook never answers (the driver answers 451 after its hook timeout). */
  readonly hookNever: number
  /** Per server: crash once during the fault phase, restart after `downMs`. */
  readonly crash: number
  readonly downMs: number
  /** Per run: the wall clock jumps by up to a day, either way, once. */
  readonly clockJump: number
  /** Chaos knobs of the default store's hooks, per command: refuse MAIL (550 5.7.1), refuse RCPT (550 5.1.1), defer RCPT (450 4.2.1). */
  readonly refuseSender: number
  readonly refuseRecipient: number
  readonly deferRecipient: number
}

/** No faults at all: what the liveness phase runs with. */
export const noFaults: FaultRates = Object.freeze({
  links: calmLinks,
  storeFull: 0,
  hookThrows: 0,
  hookSlow: 0,
  slowMs: 0,
  hookNever: 0,
  crash: 0,
  downMs: 0,
  clockJump: 0,
  refuseSender: 0,
  refuseRecipient: 0,
  deferRecipient: 0,
})

const faultFields = {
  links: LinkFaults,
  storeFull: Probability,
  hookThrows: Probability,
  hookSlow: Probability,
  slowMs: Milliseconds,
  hookNever: Probability,
  crash: Probability,
  downMs: Milliseconds,
  clockJump: Probability,
  refuseSender: Probability,
  refuseRecipient: Probability,
  deferRecipient: Probability,
} satisfies Record<keyof FaultRates, t.Mixed>

/** The codec of `FaultRates`: every rate from 0 to 1, every duration in whole virtual milliseconds. */
export const FaultRates: t.Type<FaultRates, FaultRates, unknown> = t.type(faultFields, 'FaultRates')

/**
 * What is wrong with fault rates given at `path` (`faults`), one line each: as `linkProblems` for `links`, and a
 * slow hook that may take no time (`Random.int(1, 0)` has no answer).
 */
export const faultProblems = (faults: unknown, path = 'faults'): string[] => {
  const problems = [...unknownKeys(faultFields, faults, path), ...problemLines(FaultRates, faults, path)]
  const links = typeof faults === 'object' && faults !== null ? (faults as { links?: unknown }).links : undefined
  problems.push(...unknownKeys(linkFields, links, `${path}.links`))
  if (problems.length > 0 || !FaultRates.is(faults)) return problems
  return [
    ...linkProblems(faults.links, `${path}.links`),
    ...takesTime(faults.hookSlow, 'hookSlow', faults.slowMs, path, 'slowMs'),
  ]
}

/** Named profiles: `calm` has no faults, `faulty` some, `brutal` many. */
export type ProfileName = 'calm' | 'faulty' | 'brutal'
export const profileNames: ReadonlyArray<ProfileName> = ['calm', 'faulty', 'brutal']

/** A rate in [0, max], or 0 for about a third of seeds; past 1 (brutal's crashes and clock jumps) it is 1, always. */
const rate = (r: Random, max: number): number => (r.chance(0.35) ? 0 : Math.min(1, r.float() * max))

/**
 * Draw one run's fault rates from its seed within a profile.
 * @example
 * const rates = drawFaults(new Random(42, 1), 'faulty')
 */
export const drawFaults = (r: Random, profile: ProfileName): FaultRates => {
  if (profile === 'calm') return { ...noFaults, links: { ...calmLinks, split: r.float() } }
  const k = profile === 'brutal' ? 4 : 1
  return {
    links: {
      latencyMs: [r.int(0, 2), r.int(3, 50 * k)],
      split: r.float(),
      reset: rate(r, 0.01 * k),
      stall: rate(r, 0.004 * k),
      stallMs: r.int(1, 15) * 60_000,
      deaf: rate(r, 0.02 * k),
      tlsFailure: rate(r, 0.1 * k),
      halfClose: rate(r, 0.005 * k),
    },
    storeFull: rate(r, 0.05 * k),
    hookThrows: rate(r, 0.05 * k),
    hookSlow: rate(r, 0.1 * k),
    slowMs: r.int(1, 120) * 1000,
    hookNever: rate(r, 0.01 * k),
    crash: rate(r, 0.3 * k),
    downMs: r.int(1, 20) * 60_000,
    clockJump: rate(r, 0.3 * k),
    // the scenarios refuse by address, so that a refusal stays the same on every retry
    refuseSender: 0,
    refuseRecipient: 0,
    deferRecipient: 0,
  }
}

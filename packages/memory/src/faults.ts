// The fault model. A profile names how rough a run may be; the rates of one run are drawn from the seed
// within the profile (swarm testing: some seeds leave a fault out entirely, some turn it up), so a
// million seeds cover calm runs and brutal ones alike.
import { calmLinks, type LinkFaults } from './MemoryNetwork.js'
import type { Random } from './Random.js'

/** Every fault a run can inject, as rates. Hook rates are per hook call. */
export interface FaultRates {
  readonly links: LinkFaults
  /** The store is full: the message hook refuses with 452 4.3.1. */
  readonly storeFull: number
  /** The message hook throws (the driver answers 451). */
  readonly hookThrows: number
  /** The message hook answers after up to `slowMs`. */
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
export const noFaults: FaultRates = {
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
}

/** Named profiles: `calm` has no faults, `faulty` some, `brutal` many. */
export type ProfileName = 'calm' | 'faulty' | 'brutal'
export const profileNames: ReadonlyArray<ProfileName> = ['calm', 'faulty', 'brutal']

/** A rate in [0, max], or 0 for about a third of seeds. */
const rate = (r: Random, max: number): number => (r.chance(0.35) ? 0 : r.float() * max)

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

// Mail routing: the ordered list of hosts to try for a domain, from DNS answers the caller looked up.
// Implements RFC 5321 5.1 (MX ordering, implicit MX, loop avoidance, multihomed hosts) and RFC 7505 (null MX).
// Pure: no resolver, and the shuffle among equal preferences is driven only by a caller-supplied seed.

import { asciiLower } from '../grammar/chars.js'
import { isDomainName } from '../grammar/domain.js'

/** One MX resource record as the resolver returned it. */
export interface MxRecord {
  readonly exchange: string
  readonly preference: number
}

/** One A (`family: 4`) or AAAA (`family: 6`) record for `host`. */
export interface AddressRecord {
  readonly host: string
  readonly address: string
  readonly family: 4 | 6
}

/** The outcome of the MX lookup for a domain. Temporary DNS failures are the caller's to queue and retry. */
export type MxAnswer =
  | { readonly _tag: 'Records'; readonly records: ReadonlyArray<MxRecord> }
  /** NOERROR with no MX data: the domain's own address records stand in (RFC 5321 5.1, implicit MX). */
  | { readonly _tag: 'NoRecords' }
  /** NXDOMAIN. */
  | { readonly _tag: 'NoDomain' }

/** A host to connect to, in the order given by {@link mxRoute}. */
export interface RouteHost {
  /** Lower-case ASCII, without a trailing root dot. */
  readonly host: string
  readonly preference: number
  /** True for the implicit MX: the domain itself, used when it has no MX records. */
  readonly implicit: boolean
}

/** Where mail for a domain goes. */
export type Route =
  /** At least one host, best first. */
  | { readonly _tag: 'Hosts'; readonly hosts: ReadonlyArray<RouteHost> }
  /** RFC 7505: the domain accepts no mail; a permanent failure (556 / 5.1.10) for the caller. */
  | { readonly _tag: 'NullMx' }
  /** NXDOMAIN, which RFC 5321 5.1 requires to be reported as an error. */
  | { readonly _tag: 'NoSuchDomain' }
  /** No usable host: every MX record was unusable, or all of them were at or below a local name. */
  | { readonly _tag: 'NoHosts' }

/** The largest MX preference: it is an unsigned 16-bit field (RFC 1035 3.3.9). */
const MAX_PREFERENCE = 0xffff

/** Longest domain name in text form without the root dot: 255 octets on the wire (RFC 1035 2.3.4). */
const MAX_NAME_LENGTH = 253

/** The root name, as {@link normalize} leaves "." or "". */
const ROOT = ''

/** Case-folded (ASCII only) with one trailing root dot removed, so that equal DNS names compare equal. */
const normalize = (name: string): string => asciiLower(name.endsWith('.') ? name.slice(0, -1) : name)

/**
 * A name SMTP can connect to: a domain name (RFC 5321 4.1.2), not an address. A dotted quad is a valid
 * label sequence, so a top label of digits only is refused too; no top-level domain is all-numeric.
 */
const isHostName = (name: string): boolean => {
  if (name === ROOT || name.length > MAX_NAME_LENGTH || !isDomainName(name, false)) return false
  const top = name.slice(name.lastIndexOf('.') + 1)
  return !/^[0-9]+$/.test(top)
}

const isPreference = (preference: number): boolean =>
  Number.isInteger(preference) && preference >= 0 && preference <= MAX_PREFERENCE

/** mulberry32: a small 32-bit PRNG; the same seed always yields the same sequence of numbers in [0, 1). */
const mulberry32 = (seed: number): (() => number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Fisher-Yates shuffle of `items[from, to)` in place. */
const shuffleRange = <T>(items: T[], from: number, to: number, random: () => number): void => {
  for (let i = to - 1; i > from; i--) {
    const j = from + Math.floor(random() * (i - from + 1))
    const a = items[i]!
    items[i] = items[j]!
    items[j] = a
  }
}

const noHosts: Route = { _tag: 'NoHosts' }

/** RFC 5321 5.1: with no MX records the domain is its own MX, preference 0, unless it is unusable or local. */
const implicitRoute = (domain: string, locals: ReadonlySet<string>): Route => {
  const host = normalize(domain)
  // RFC 5321 5.1: an unusable implicit MX is an error; so is one naming this host, which would loop.
  if (!isHostName(host) || locals.has(host)) return noHosts
  return { _tag: 'Hosts', hosts: [{ host, preference: 0, implicit: true }] }
}

const explicitRoute = (records: ReadonlyArray<MxRecord>, seed: number, locals: ReadonlySet<string>): Route => {
  const named = records.map((r) => ({ host: normalize(r.exchange), preference: r.preference }))
  // RFC 7505 3: an MX set made only of the root exchange says the domain takes no mail. RFC 7505 wants exactly
  // one such record; repeats of it (which a DNS RRset cannot hold) mean the same and are accepted.
  if (named.every((r) => r.host === ROOT)) return { _tag: 'NullMx' }
  // RFC 7505 3 forbids mixing the null MX with other records; here the root records are ignored and the rest
  // used. Preferences outside 16 bits cannot come from DNS and are dropped too.
  const best = new Map<string, number>()
  for (const { host, preference } of named) {
    if (host === ROOT || !isPreference(preference)) continue
    const seen = best.get(host)
    if (seen === undefined || preference < seen) best.set(host, preference)
  }
  // RFC 5321 5.1: if one of this host's own names is an MX, that record and all at its preference or a higher
  // number are discarded, so that mail is never sent back toward this host. Applied before hostname checks.
  let cutoff = Infinity
  for (const [host, preference] of best) if (locals.has(host) && preference < cutoff) cutoff = preference
  // RFC 5321 5.1: the exchange must be a domain name, so an address or a malformed name is not usable.
  const usable = [...best]
    .filter(([host, preference]) => preference < cutoff && isHostName(host))
    .map(([host, preference]): RouteHost => ({ host, preference, implicit: false }))
  // RFC 5321 5.1: MX records present but none usable, or none left after the local cut, is an error.
  if (usable.length === 0) return noHosts
  // RFC 5321 5.1: lower preference first. Ties start in name order, so that the outcome depends only on the
  // set of records and the seed, not on the order the resolver listed them in.
  usable.sort((a, b) => a.preference - b.preference || (a.host < b.host ? -1 : a.host > b.host ? 1 : 0))
  // RFC 5321 5.1: equal preferences are randomized to spread the load across the exchangers.
  const random = mulberry32(seed)
  for (let from = 0; from < usable.length;) {
    let to = from + 1
    while (to < usable.length && usable[to]!.preference === usable[from]!.preference) to++
    shuffleRange(usable, from, to, random)
    from = to
  }
  return { _tag: 'Hosts', hosts: usable }
}

/**
 * The hosts to try for `domain`, best first (RFC 5321 5.1), from the MX answer the caller looked up.
 *
 * - Records are sorted by preference, lowest first; equal preferences are shuffled by a PRNG seeded with
 *   `seed` (taken as an unsigned 32-bit integer), so one seed always gives one order for one set of records.
 * - Exchanges are compared case-insensitively and without the trailing root dot; a name listed twice keeps
 *   its lowest preference. Returned hosts are in that normalized form.
 * - An exchange that is an IP address or not a valid host name is dropped; so is a preference outside 0-65535.
 * - A null MX (RFC 7505: the one record has exchange "." or "") gives `NullMx`; root records mixed with others are
 *   ignored. `NoRecords`, or `Records` with an empty list, gives the domain itself as an implicit MX.
 * - If any of `localNames` (this host's own names) is an exchange, that record and every record with an equal
 *   or higher preference number are dropped; the implicit MX is dropped if the domain is a local name.
 * - Nothing left gives `NoHosts`; `NoDomain` gives `NoSuchDomain`. Both are permanent failures for the caller.
 *
 * @example
 * const route = mxRoute('example.org', { _tag: 'Records', records: [{ exchange: 'MX1.example.org.', preference: 10 }] }, 42)
 * // { _tag: 'Hosts', hosts: [{ host: 'mx1.example.org', preference: 10, implicit: false }] }
 */
export const mxRoute = (
  domain: string,
  answer: MxAnswer,
  seed: number,
  localNames: ReadonlyArray<string> = [],
): Route => {
  const locals = new Set(localNames.map(normalize))
  switch (answer._tag) {
    case 'NoDomain':
      // RFC 5321 5.1: a non-existent domain must be reported as an error.
      return { _tag: 'NoSuchDomain' }
    case 'NoRecords':
      return implicitRoute(domain, locals)
    case 'Records':
      // RFC 5321 5.1: an empty list of MXs means the implicit MX, exactly like no MX data at all.
      return answer.records.length === 0 ? implicitRoute(domain, locals) : explicitRoute(answer.records, seed, locals)
  }
}

/**
 * Address records in connection order: hosts in the order they first appear, and within each host the
 * preferred family first, each family keeping the order the resolver gave (RFC 5321 5.1: the addresses of a
 * multihomed host are tried in the order presented). Host names are compared as in {@link mxRoute}.
 *
 * @example
 * orderAddresses(
 *   [
 *     { host: 'mx.example.org', address: '192.0.2.1', family: 4 },
 *     { host: 'mx.example.org', address: '2001:db8::1', family: 6 },
 *   ],
 *   true,
 * ) // the IPv6 record, then the IPv4 one
 */
export const orderAddresses = (
  records: ReadonlyArray<AddressRecord>,
  preferIpv6: boolean,
): ReadonlyArray<AddressRecord> => {
  const preferred = preferIpv6 ? 6 : 4
  const byHost = new Map<string, { readonly first: AddressRecord[]; readonly second: AddressRecord[] }>()
  for (const record of records) {
    const key = normalize(record.host)
    let group = byHost.get(key)
    if (group === undefined) {
      group = { first: [], second: [] }
      byHost.set(key, group)
    }
    ;(record.family === preferred ? group.first : group.second).push(record)
  }
  return [...byHost.values()].flatMap((group) => [...group.first, ...group.second])
}

// Splitting one message's recipients into transactions the server said it takes: RCPTMAX and
// RCPTDOMAINMAX of the LIMITS extension (RFC 9422 4.2, 4.3). Each part is a transaction of its own,
// with its own replies; the order of recipients is kept.
import type { ServerCapabilities } from './capabilities.js'
import type { ClientEnvelope, ClientRecipient } from './Input.js'

const addressOf = (r: string | ClientRecipient): string => (typeof r === 'string' ? r : r.address)

/** The domain of an address, compared without regard to case; `postmaster` alone has none. */
const domainOf = (r: string | ClientRecipient): string => {
  const a = addressOf(r)
  const at = a.lastIndexOf('@')
  return at === -1 ? '' : a.slice(at + 1).toLowerCase()
}

/**
 * The envelope cut into as few transactions as the server's limits allow, in order: at most RCPTMAX
 * recipients (RFC 9422 4.2) and at most RCPTDOMAINMAX distinct domains (RFC 9422 4.3) in each. Without
 * such limits, or within them, the envelope comes back alone.
 * @example
 * splitEnvelope({ from: 'a@x.example', to: ['b@y.example', 'c@y.example', 'd@y.example'] }, caps) // RCPTMAX=2: 2 parts
 */
export const splitEnvelope = (
  envelope: ClientEnvelope,
  capabilities: Pick<ServerCapabilities, 'limits'>,
): ReadonlyArray<ClientEnvelope> => {
  const { rcptMax, rcptDomainMax } = capabilities.limits
  if (rcptMax === undefined && rcptDomainMax === undefined) return [envelope]
  const parts: Array<Array<string | ClientRecipient>> = []
  let current: Array<string | ClientRecipient> = []
  let domains = new Set<string>()
  for (const r of envelope.to) {
    const d = domainOf(r)
    const full = rcptMax !== undefined && current.length >= rcptMax
    const tooManyDomains = rcptDomainMax !== undefined && !domains.has(d) && domains.size >= rcptDomainMax
    if (current.length > 0 && (full || tooManyDomains)) {
      parts.push(current)
      current = []
      domains = new Set()
    }
    current.push(r)
    domains.add(d)
  }
  if (current.length > 0 || parts.length === 0) parts.push(current)
  return parts.length === 1 ? [envelope] : parts.map((to) => ({ ...envelope, to }))
}

// Admission of new connections, shared by every adapter's server: a cap on connections at once and a cap
// per client address, so that one source (a slowloris, a broken client in a loop) cannot take every slot.
// Refused clients get 421 (RFC 5321 3.8, 4.2.3) before the session starts.
import { type Reply, reply } from '@smtpure/core'

/** How many connections a server takes. */
export interface ConnectionLimits {
  /** Connections at once; past it new ones get 421 in place of the greeting (no enhanced code) and are closed. 0 for no limit. */
  readonly maxConnections: number
  /** Connections at once from one client address (one IPv6 /64 counts as one address); 0 for no limit. */
  readonly maxConnectionsPerAddress: number
  /**
   * Hold loopback clients (127.0.0.0/8, ::1) to the per-address cap too. Off by default: local submission
   * and load tools all come from one loopback address, as Postfix exempts its own networks.
   */
  readonly limitLoopback: boolean
}

/** 1000 connections at once, 50 per address (the per-client count limit Postfix ships with). */
export const defaultConnectionLimits: ConnectionLimits = {
  maxConnections: 1000,
  maxConnectionsPerAddress: 50,
  limitLoopback: false,
}

/** Is the address a loopback one (IPv4 127/8, IPv6 ::1, or 127/8 mapped into IPv6)? */
export const isLoopback = (address: string): boolean => address === '::1' || /^(?:::ffff:)?127\./i.test(address)

/**
 * What the per-address cap counts: an IPv4 address (also when mapped into IPv6), or the /64 prefix of an
 * IPv6 address, since one host is usually given a whole /64 and may send from any address in it.
 */
export const addressKey = (address: string): string => {
  const a = address.split('%')[0]!.toLowerCase() // drop an IPv6 zone
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a)
  if (mapped !== null) return mapped[1]!
  if (!a.includes(':')) return a
  const [head = '', tail] = a.split('::')
  const front = head === '' ? [] : head.split(':')
  const back = tail === undefined || tail === '' ? [] : tail.split(':')
  const groups =
    tail === undefined
      ? front
      : [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back]
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`
}

/** A connection let in: `release` its slot once it closed (more calls do nothing). */
export interface Admitted {
  readonly _tag: 'Admitted'
  readonly release: () => void
}

export type Admission = Admitted | { readonly _tag: 'Refused'; readonly reply: Reply }

/**
 * Counts open connections. `admit` each new one with its remote address; call `release` once it closed.
 * @example
 * const gate = new ConnectionGate({ ...defaultConnectionLimits, maxConnections: 100 }, 'mx.example.com')
 * const a = gate.admit(socket.remoteAddress)
 * if (a._tag === 'Refused') socket.end(formatReply(a.reply, false)); else socket.once('close', a.release)
 */
export class ConnectionGate {
  private open = 0
  private readonly perAddress = new Map<string, number>()

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly hostname: string,
  ) {}

  get size(): number {
    return this.open
  }

  admit(address: string): Admission {
    const { maxConnections, maxConnectionsPerAddress, limitLoopback } = this.limits
    if (maxConnections > 0 && this.open >= maxConnections)
      return { _tag: 'Refused', reply: reply(421, '4.7.0', `${this.hostname} Too many connections, try again later`) }
    const counted = maxConnectionsPerAddress > 0 && (limitLoopback || !isLoopback(address))
    const key = addressKey(address)
    const mine = this.perAddress.get(key) ?? 0
    if (counted && mine >= maxConnectionsPerAddress)
      return {
        _tag: 'Refused',
        reply: reply(421, '4.7.0', `${this.hostname} Too many connections from your address, try again later`),
      }
    this.open += 1
    if (counted) this.perAddress.set(key, mine + 1)
    let released = false
    return {
      _tag: 'Admitted',
      release: () => {
        if (released) return
        released = true
        this.open -= 1
        if (!counted) return
        const left = (this.perAddress.get(key) ?? 1) - 1
        if (left === 0) this.perAddress.delete(key)
        else this.perAddress.set(key, left)
      },
    }
  }
}

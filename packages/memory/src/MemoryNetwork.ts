// A network in memory: hosts listen and connect by name, and every octet between them travels through
// the seeded scheduler. The network decides, per seed, how long a piece takes, how writes are cut and
// merged into reads, and the link faults: resets at any octet, stalls, a peer that stops reading, a
// failed TLS handshake. Everything it does is recorded in the trace.
import type { TlsInfo } from '@smtpure/driver'
import { calmLinks, checkedLinks, type LinkFaults } from './faults.js'
import { MemoryTransport } from './MemoryTransport.js'
import type { Scheduler } from './Scheduler.js'
import type { Trace } from './Trace.js'

/** What a listener is given per connection. */
export type Accept = (transport: MemoryTransport) => void

interface Listener {
  readonly accept: Accept
  readonly tls: boolean
  readonly implicitTls: boolean
  readonly port: number
}

/** A connection: two ends and the pieces in flight between them. */
export class Connection {
  dead = false
  readonly client: MemoryTransport
  readonly server: MemoryTransport
  private readonly scheduled = new Set<MemoryTransport>()
  private stalledUntil = new Map<MemoryTransport, number>()

  constructor(
    readonly network: MemoryNetwork,
    readonly id: string,
    from: string,
    to: string,
    listener: Listener,
  ) {
    // the client's end gets the next ephemeral port (RFC 6335 6: 49152 and up); the server's is the listener's
    const port = 49152 + (network.connectionCount % 16384)
    const toAddress = network.address(to) // in this order, as before: simulations name hosts in it
    const fromAddress = network.address(from)
    this.client = new MemoryTransport(
      this,
      from,
      toAddress,
      true,
      listener.implicitTls,
      false,
      listener.port,
      fromAddress,
      port,
    )
    this.server = new MemoryTransport(
      this,
      to,
      fromAddress,
      listener.tls,
      listener.implicitTls,
      true,
      port,
      toAddress,
      listener.port,
    )
    this.client.peer = this.server
    this.server.peer = this.client
  }

  /** `from` has pieces outbound: make sure a delivery is on its way. */
  send(from: MemoryTransport): void {
    if (this.dead || this.scheduled.has(from)) return
    this.scheduled.add(from)
    const links = this.network.links
    this.network.scheduler.at(this.network.random.int(links.latencyMs[0], links.latencyMs[1]), () => this.deliver(from))
  }

  private deliver(from: MemoryTransport): void {
    this.scheduled.delete(from)
    if (this.dead || from.outbound.length === 0) return
    const { scheduler, random, links } = this.network
    const until = this.stalledUntil.get(from) ?? 0
    if (until > scheduler.now) {
      this.scheduled.add(from)
      scheduler.at(until - scheduler.now, () => this.deliver(from))
      return
    }
    if (random.chance(links.stall)) {
      this.stalledUntil.set(from, scheduler.now + links.stallMs)
      this.network.note(this, from.name, 'fault', `stall ${links.stallMs} ms`)
      this.send(from)
      return
    }
    const head = from.outbound[0]!
    if ('fin' in head) {
      from.outbound.shift()
      from.finDelivered = true
      from.peer.arrive(head)
      if (from.finReceived) from.closed()
    } else {
      // Merge consecutive pieces of one kind (clear or TLS), then maybe cut a prefix off the result.
      let available = 0
      let n = 0
      while (n < from.outbound.length) {
        const p = from.outbound[n]!
        if ('fin' in p || p.tls !== head.tls) break
        available += p.bytes.length
        n++
      }
      let take = random.chance(links.split) ? random.int(1, available) : available
      const resetting = random.chance(links.reset)
      if (resetting) take = random.int(0, available)
      const bytes = this.takeBytes(from, take)
      if (bytes.length > 0) from.peer.arrive({ bytes, tls: head.tls })
      if (resetting) return this.reset(from, `reset after ${bytes.length} of ${available} octets`)
      if (from === this.client && !from.finSent && random.chance(links.halfClose)) {
        this.network.note(this, from.name, 'fault', 'half-close')
        from.close()
      }
    }
    if (from.outbound.length > 0) this.send(from)
  }

  private takeBytes(from: MemoryTransport, count: number): Uint8Array {
    const first = from.outbound[0] as { bytes: Uint8Array; tls: boolean } | undefined
    if (first && 'bytes' in first && first.bytes.length === count) {
      from.outbound.shift()
      from.outboundBytes -= count
      return first.bytes
    }
    const out = new Uint8Array(count)
    let filled = 0
    while (filled < count) {
      const p = from.outbound[0] as { bytes: Uint8Array; tls: boolean }
      const want = count - filled
      if (p.bytes.length <= want) {
        out.set(p.bytes, filled)
        filled += p.bytes.length
        from.outbound.shift()
      } else {
        out.set(p.bytes.subarray(0, want), filled)
        from.outbound[0] = { bytes: p.bytes.subarray(want), tls: p.tls }
        filled += want
      }
    }
    from.outboundBytes -= count
    return out
  }

  /** Both ends called startTls: finish (or fail) the handshake after one round trip. */
  handshake(): void {
    const { client, server } = this
    if (client.handshake === undefined || server.handshake === undefined) return
    const { random, links, scheduler } = this.network
    const fails = random.chance(links.tlsFailure)
    scheduler.at(2 * random.int(links.latencyMs[0], links.latencyMs[1]), () => {
      if (this.dead) return
      if (fails) {
        this.network.note(this, server.name, 'fault', 'TLS handshake failed')
        for (const end of [client, server]) {
          end.handshake?.reject(new Error('TLS handshake failed'))
          end.handshake = undefined
        }
        return this.reset(server, 'TLS handshake failed')
      }
      if (client.handshake === undefined || server.handshake === undefined) {
        // one end closed meanwhile: the handshake cannot finish
        for (const end of [client, server]) {
          end.handshake?.reject(new Error('connection closed during the TLS handshake'))
          end.handshake = undefined
        }
        return
      }
      this.network.note(this, server.name, 'tls', 'TLS established')
      for (const end of [client, server]) {
        end.tlsMode = 'tls'
        end.tls = this.network.tlsInfo(end === server ? server.name : undefined)
        const h = end.handshake!
        end.handshake = undefined
        h.resolve(end.tls)
        end.queueFlush()
      }
    })
  }

  /** The connection breaks: both ends see it closed with an error, and what was in flight is lost. */
  reset(by: MemoryTransport, why: string): void {
    if (this.dead) return
    this.dead = true
    this.network.trace.record({
      at: this.network.scheduler.now,
      conn: this.id,
      from: by.name,
      to: by.peer.name,
      kind: 'reset',
      text: why,
    })
    this.network.resets++
    const error = new Error(`connection reset (${why})`)
    for (const end of [this.client, this.server]) {
      end.outbound.length = 0
      end.outboundBytes = 0
      end.closed(error)
    }
  }

  /** One end is closed; once both are, the connection leaves the network. */
  ended(): void {
    if (!this.client.isClosed || !this.server.isClosed) return
    this.network.open.delete(this)
    this.network.maxHeld = Math.max(this.network.maxHeld, this.client.maxHeld, this.server.maxHeld)
  }
}

/** The key a host name listens under: DNS names are case-blind (RFC 4343), so `MX.example.com` is `mx.example.com`. */
export const hostKey = (name: string): string => name.toLowerCase()

/** Hosts by name, listeners, and the connections between them. */
export class MemoryNetwork {
  private current: LinkFaults = calmLinks
  resets = 0
  /** The most octets one end of a closed connection ever held (inbox plus outbound). */
  maxHeld = 0
  readonly open = new Set<Connection>()
  private readonly listeners = new Map<string, Listener>()
  private readonly addresses = new Map<string, string>()
  private connections = 0

  constructor(
    readonly scheduler: Scheduler,
    readonly trace: Trace,
  ) {}

  /**
   * How links behave from now on (`calmLinks` at first).
   * @throws OptionsError when the faults set do not fit (`linkProblems`), changing nothing.
   */
  get links(): LinkFaults {
    return this.current
  }
  set links(links: LinkFaults) {
    this.current = checkedLinks(links)
  }

  get random(): Scheduler['random'] {
    return this.scheduler.random
  }

  /** A stable address per host name, from 192.0.2.0/24 and on (TEST-NET, RFC 5737). */
  address(name: string): string {
    let a = this.addresses.get(name)
    if (a === undefined) {
      const n = this.addresses.size + 1
      a = `192.0.${2 + (n >> 8)}.${n & 0xff}`
      this.addresses.set(name, a)
    }
    return a
  }

  /** Connections made so far. */
  get connectionCount(): number {
    return this.connections
  }

  /**
   * TLS facts as a real handshake would report them. The server's end (`servername`: its own host name,
   * which the client asked for) heard no client certificate; the client's end verified the server's.
   */
  tlsInfo(servername?: string): TlsInfo {
    return servername === undefined
      ? { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', authorized: true }
      : { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', servername, authorized: false }
  }

  /**
   * Accept connections to `name` (any case: host names are case-blind, RFC 4343). `tls`: the server end can
   * upgrade (STARTTLS); `implicitTls`: every connection is TLS from its first octet; `port` is the one both ends
   * report (default 25, 465 with `implicitTls`). Returns the function that stops listening.
   */
  listen(
    name: string,
    accept: Accept,
    options: { tls?: boolean; implicitTls?: boolean; port?: number } = {},
  ): () => void {
    const key = hostKey(name)
    if (this.listeners.has(key)) throw new Error(`${name} is already listening`)
    const listener = {
      accept,
      tls: options.tls ?? false,
      implicitTls: options.implicitTls ?? false,
      port: options.port ?? (options.implicitTls ? 465 : 25),
    }
    this.listeners.set(key, listener)
    return () => {
      if (this.listeners.get(key) === listener) this.listeners.delete(key)
    }
  }

  isListening(name: string): boolean {
    return this.listeners.has(hostKey(name))
  }

  /** Connect from host `from` to host `to`, after one latency; refused when nothing listens there then. */
  connect(from: string, to: string): Promise<MemoryTransport> {
    return new Promise((resolve, reject) => {
      this.scheduler.at(this.random.int(this.links.latencyMs[0], this.links.latencyMs[1]), () => {
        const listener = this.listeners.get(hostKey(to))
        const id = `c${++this.connections}`
        if (listener === undefined) {
          this.trace.record({ at: this.scheduler.now, conn: id, from, to, kind: 'refused' })
          return reject(new Error(`connection refused: ${to}`))
        }
        const conn = new Connection(this, id, from, to, listener)
        this.open.add(conn)
        this.trace.record({ at: this.scheduler.now, conn: id, from, to, kind: 'connect' })
        if (this.random.chance(this.links.deaf)) {
          conn.client.deaf = true
          this.note(conn, from, 'fault', 'stops reading')
        }
        listener.accept(conn.server)
        resolve(conn.client)
      })
    })
  }

  /** Reset every open connection of host `name` (a crash). */
  resetHost(name: string, why: string): void {
    for (const c of [...this.open]) if (c.server.name === name || c.client.name === name) c.reset(c.server, why)
  }

  note(conn: Connection | undefined, from: string, kind: 'tls' | 'fault', text: string): void {
    this.trace.record({ at: this.scheduler.now, conn: conn?.id ?? '', from, to: from, kind, text })
  }
}

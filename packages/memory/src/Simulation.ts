// A simulated world: servers (each with a store that survives a crash, and nothing else that does) and
// clients that submit messages over the in-memory network, all on one seeded scheduler. Real driver
// sessions run on both ends: startServerSession per accepted connection and startClientSession per
// attempt, exactly as the Node adapter runs them. Faults come from the run's FaultRates.
import { type ClientConfig, type DeliveryStatus, type MessageResult, clientConfig } from '@smtpure/core'
import { OptionsError, startClientSession } from '@smtpure/driver'
import { type FaultRates, faultProblems, noFaults } from './faults.js'
import { MemoryNetwork, hostKey } from './MemoryNetwork.js'
import { Scheduler } from './Scheduler.js'
import { type SimulationOptions, checkedOptions } from './SimulationOptions.js'
import { type ServerSpec, SimServer } from './SimServer.js'
import { Trace } from './Trace.js'

/** Counts over one run. */
export interface Summary {
  /** Attempts that connected, each counted whether or not its transaction got a result. */
  sent: number
  accepted: number
  rejected: number
  temporary: number
  unknown: number
  /** Connections refused (nothing listening: a crashed server). */
  refused: number
  /**
   * Copies committed by final stores, and copies past the first of one message: counted by the built-in
   * scenarios' checks (`runDirect`, `runRelay`), which know each message. A simulation of your own leaves
   * both 0; each server's `committed` holds its copies.
   */
  delivered: number
  duplicates: number
  bounced: number
  resets: number
  timeouts: number
  crashes: number
}

const emptySummary = (): Summary => ({
  sent: 0,
  accepted: 0,
  rejected: 0,
  temporary: 0,
  unknown: 0,
  refused: 0,
  delivered: 0,
  duplicates: 0,
  bounced: 0,
  resets: 0,
  timeouts: 0,
  crashes: 0,
})

/** One attempt to hand a message to a server: the transaction's result, or why there was none. */
export interface Attempt {
  readonly status: DeliveryStatus | 'refused'
  readonly result: MessageResult | undefined
}

/** A message to submit: the envelope and the exact octets of the body. */
export interface SimMessage {
  readonly from: string | null
  readonly to: ReadonlyArray<string>
  readonly body: Uint8Array
}

/** Decoded client configurations by HELO name, shared by every run (decoding is not free; configs are immutable). */
const clientConfigs = new Map<string, ClientConfig>()

/** A seeded world: scheduler, network, servers and the run's counters. */
export class Simulation {
  readonly scheduler: Scheduler
  readonly network: MemoryNetwork
  readonly trace: Trace
  readonly runtime: ReturnType<Scheduler['runtime']>
  readonly servers = new Map<string, SimServer>()
  readonly summary: Summary = emptySummary()
  readonly options: SimulationOptions
  private current: FaultRates
  /** Server sessions started and not yet ended, across restarts. */
  sessionsOpen = 0
  /** Server sessions started in all. */
  sessionsStarted = 0

  /** @throws OptionsError when the options do not fit (`checkedOptions`): nothing is made then. */
  constructor(options: SimulationOptions) {
    this.options = checkedOptions(options)
    this.scheduler = new Scheduler(options.seed)
    this.trace = new Trace(options.keepTrace ?? false)
    this.network = new MemoryNetwork(this.scheduler, this.trace)
    this.runtime = this.scheduler.runtime()
    this.current = options.faults ?? noFaults
    this.network.links = this.current.links
  }

  /** The run's fault rates, links included. */
  get faults(): FaultRates {
    return this.current
  }

  /**
   * Change the fault rates from now on, the network's links too.
   * @throws OptionsError (`invalid simulation options:`) when they do not fit (`faultProblems`), changing nothing.
   */
  set faults(faults: FaultRates) {
    const problems = faultProblems(faults, 'faults')
    if (problems.length > 0) throw new OptionsError('simulation', problems)
    this.current = faults
    this.network.links = faults.links
  }

  get seed(): number {
    return this.options.seed
  }

  /**
   * Add a server and start it listening.
   * @throws OptionsError when the spec does not fit (`serverConfigFor`), or this simulation has a server of that
   * name in any case (up or crashed: host names are case-blind) or something else listens at it; the simulation is
   * left as it was.
   */
  addServer(spec: ServerSpec): SimServer {
    const name = (spec as { name?: unknown } | undefined)?.name
    if (typeof name === 'string') {
      const taken = [...this.servers.keys()].find((k) => hostKey(k) === hostKey(name))
      if (taken !== undefined)
        throw new OptionsError('server', [`name: ${taken} is already a server of this simulation, given ${name}`])
      if (this.network.isListening(name))
        throw new OptionsError('server', [`name: something already listens at ${name}`])
    }
    const server = new SimServer(this, spec)
    server.start()
    this.servers.set(server.name, server)
    return server
  }

  /** The fault phase is over: from now on links are calm and hooks do not fail. */
  calm(): void {
    this.faults = noFaults
    this.trace.record({ at: this.scheduler.now, conn: '', from: 'sim', to: 'sim', kind: 'fault', text: 'faults off' })
  }

  /** Plan the run's crashes and clock jump inside [0, phaseMs). */
  planFaults(phaseMs: number): void {
    const r = this.scheduler.random
    for (const server of this.servers.values()) {
      if (!r.chance(this.faults.crash)) continue
      const downMs = this.faults.downMs
      this.scheduler.at(r.int(0, phaseMs), () => {
        server.crash()
        this.scheduler.at(downMs, () => server.restart())
      })
    }
    if (r.chance(this.faults.clockJump)) {
      const jump = r.int(-86_400_000, 86_400_000)
      this.scheduler.at(r.int(0, phaseMs), () => {
        this.scheduler.wallOffsetMs += jump
        this.trace.record({
          at: this.scheduler.now,
          conn: '',
          from: 'sim',
          to: 'sim',
          kind: 'fault',
          text: `clock jump ${jump} ms`,
        })
      })
    }
  }

  private clientConfig(helo: string): ClientConfig {
    let c = clientConfigs.get(helo)
    if (c === undefined) {
      const decoded = clientConfig({ helo, tls: 'opportunistic' })
      if (decoded._tag === 'Left') throw new Error(`invalid client options:\n${decoded.left.errors.join('\n')}`)
      c = decoded.right
      if (clientConfigs.size > 1000) clientConfigs.clear()
      clientConfigs.set(helo, c)
    }
    return c
  }

  /**
   * One attempt from host `from` to server `to`: connect, greet, send the message, QUIT, and wait until
   * the connection is closed. Rejects only when `from` cannot be a client's EHLO name (an OptionsError-like
   * `Error`, `invalid client options: ...`), before anything connects; otherwise never.
   */
  async attempt(
    from: string,
    to: string,
    message: SimMessage,
    onResult?: (result: MessageResult) => void,
  ): Promise<Attempt> {
    const config = this.clientConfig(from) // a host name that cannot be an EHLO name fails here, before connecting
    let transport
    try {
      transport = await this.network.connect(from, to)
    } catch {
      this.summary.refused++
      return { status: 'refused', result: undefined }
    }
    const session = startClientSession(transport, { config, runtime: this.runtime })
    let result: MessageResult | undefined
    let refusal: number | undefined // the code of a reply that ended the session before the transaction
    try {
      result = await session.send({ envelope: { from: message.from, to: message.to }, body: message.body })
      onResult?.(result) // at once: nothing (no crash) can come between the reply and its record
    } catch (e) {
      const error = (e as { error?: { _tag?: string; reply?: { code?: number } } }).error
      if (error?._tag === 'Timeout') this.summary.timeouts++
      refusal = error?.reply?.code
    }
    void session.quit()
    await session.closed
    const s = this.summary
    s.sent++
    if (result === undefined) {
      // a 5yz (a 554 greeting, a refused EHLO) is permanent, as for any reply (RFC 5321 4.2.1); anything else,
      // the connection lost or a 4yz, is worth another attempt
      if (refusal !== undefined && refusal >= 500) {
        s.rejected++
        return { status: 'permanent', result }
      }
      s.temporary++
      return { status: 'temporary', result }
    }
    if (result.error?._tag === 'Timeout') s.timeouts++
    s[result.status === 'permanent' ? 'rejected' : result.status]++
    this.trace.record({ at: this.scheduler.now, conn: '', from, to, kind: 'result', text: result.status })
    return { status: result.status, result }
  }

  /** Run the scheduler until `untilMs` virtual milliseconds, or until `stop()` holds. */
  async run(untilMs: number, stop?: () => boolean): Promise<void> {
    await this.scheduler.run(untilMs, stop)
    this.summary.resets = this.network.resets
  }
}

// A simulated world: servers (each with a store that survives a crash, and nothing else that does) and
// clients that submit messages over the in-memory network, all on one seeded scheduler. Real driver
// sessions run on both ends: startServerSession per accepted connection and startClientSession per
// attempt, exactly as the Node adapter runs them. Faults come from the run's FaultRates.
import {
  type ClientConfig,
  type DeliveryStatus,
  type Envelope,
  type MessageResult,
  type ServerConfig,
  clientConfig,
  mailboxText,
  serverConfig,
} from '@smtpure/core'
import {
  type IncomingMessage,
  OptionsError,
  type ServerHooks,
  SmtpError,
  startClientSession,
  startServerSession,
} from '@smtpure/driver'
import { type FaultRates, faultProblems, noFaults } from './faults.js'
import { MemoryNetwork } from './MemoryNetwork.js'
import { Scheduler } from './Scheduler.js'
import { type SimulationOptions, checkedOptions } from './SimulationOptions.js'
import { Trace } from './Trace.js'

/** A message a server's store committed. `body` is what the client sent (the Received field is apart). */
export interface StoredMessage {
  readonly server: string
  readonly from: string | null
  readonly to: ReadonlyArray<string>
  readonly received: string
  readonly body: Uint8Array
  /** Virtual milliseconds at the commit. */
  readonly at: number
}

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

/** How to start one server. */
export interface ServerSpec {
  readonly name: string
  /** Session options as for `serverConfig` (`hostname` defaults to `name`). */
  readonly smtp?: object
  /** Offer STARTTLS. */
  readonly tls?: boolean
  /** The application; by default every message goes to the server's store (with the run's faults). */
  readonly hooks?: (server: SimServer) => ServerHooks
  /** Called after a restart (a relay resumes its queue here). */
  readonly onRestart?: (server: SimServer) => void
}

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

/** Decoded server configurations by their options' JSON, shared by every run (configs are immutable). */
const serverConfigs = new Map<string, ServerConfig>()
const decodeServerConfig = (options: object): ServerConfig => {
  const key = JSON.stringify(options)
  let c = serverConfigs.get(key)
  if (c === undefined) {
    const decoded = serverConfig(options)
    if (decoded._tag === 'Left') throw new Error(`invalid server options:\n${decoded.left.errors.join('\n')}`)
    c = decoded.right
    if (serverConfigs.size > 1000) serverConfigs.clear()
    serverConfigs.set(key, c)
  }
  return c
}

/** A server host: its store, its sessions, crash and restart. */
export class SimServer {
  /** What the store committed; survives crashes. */
  readonly committed: StoredMessage[] = []
  /** Bumped by each crash: work begun before it never commits. */
  generation = 0
  up = false
  active = 0
  readonly config: ServerConfig
  private stopListening: (() => void) | undefined

  constructor(
    readonly sim: Simulation,
    readonly spec: ServerSpec,
  ) {
    this.config = decodeServerConfig({ hostname: spec.name, ...(spec.tls ? { startTls: true } : {}), ...spec.smtp })
  }

  get name(): string {
    return this.spec.name
  }

  start(): void {
    const hooks = this.spec.hooks ? this.spec.hooks(this) : this.storeHooks()
    const runtime = this.sim.runtime
    const generation = this.generation
    this.up = true
    this.stopListening = this.sim.network.listen(
      this.name,
      (transport) => {
        this.active++
        this.sim.sessionsOpen++
        this.sim.sessionsStarted++
        const session = startServerSession(transport, {
          config: this.config,
          hooks,
          runtime,
          onError: (e) => {
            if (e instanceof Error && /did not answer in time/.test(e.message)) this.sim.summary.timeouts++
          },
        })
        void session.done.then(() => {
          this.sim.sessionsOpen--
          if (generation === this.generation) this.active--
        })
      },
      { tls: this.spec.tls ?? false },
    )
  }

  /** The process dies: connections reset, work in progress is lost, the store keeps what it committed. */
  crash(): void {
    if (!this.up) return
    this.generation++
    this.up = false
    this.active = 0
    this.stopListening?.()
    this.sim.summary.crashes++
    this.sim.trace.record({ at: this.sim.scheduler.now, conn: '', from: this.name, to: this.name, kind: 'crash' })
    this.sim.network.resetHost(this.name, 'crash')
  }

  restart(): void {
    if (this.up) return
    this.sim.trace.record({ at: this.sim.scheduler.now, conn: '', from: this.name, to: this.name, kind: 'restart' })
    this.start()
    this.spec.onRestart?.(this)
  }

  /** Commit a message, unless the process crashed since `generation` (then it is lost, as it should be). */
  commit(generation: number, envelope: Envelope, received: string, body: Uint8Array): boolean {
    if (generation !== this.generation) return false
    this.committed.push({
      server: this.name,
      from: envelope.from === null ? null : mailboxText(envelope.from),
      to: envelope.recipients.map((r) => mailboxText(r.to)),
      received,
      body,
      at: this.sim.scheduler.now,
    })
    return true
  }

  /**
   * The default application: read the message, suffer the run's store faults, commit, then say 250.
   * `commit` replaces the store (a relay's queue); it returns false when the process crashed meanwhile.
   */
  storeHooks(
    commit: (generation: number, message: IncomingMessage, body: Uint8Array) => boolean = (g, m, body) =>
      this.commit(g, m.envelope, m.received, body),
  ): ServerHooks {
    const sim = this.sim
    const chance = (p: number): boolean => sim.scheduler.random.chance(p)
    return {
      onMailFrom: () => {
        if (chance(sim.faults.refuseSender)) throw new SmtpError(550, '5.7.1', 'Sender refused')
      },
      onRcptTo: () => {
        if (chance(sim.faults.refuseRecipient)) throw new SmtpError(550, '5.1.1', 'No such user')
        if (chance(sim.faults.deferRecipient)) throw new SmtpError(450, '4.2.1', 'Try again later')
      },
      onMessage: async (message) => {
        const generation = this.generation
        const body = await readAll(message.chunks)
        const f = sim.faults
        const r = sim.scheduler.random
        if (r.chance(f.storeFull)) throw new SmtpError(452, '4.3.1', 'Insufficient system storage')
        if (r.chance(f.hookThrows)) throw new Error('store failed')
        if (r.chance(f.hookNever)) return new Promise<void>(() => undefined)
        // the write takes a moment, so a crash can come between the last octet and the commit
        await sim.scheduler.sleep(r.chance(f.hookSlow) ? r.int(1, f.slowMs) : r.int(0, 3))
        if (!commit(generation, message, body)) throw new Error('the store is gone (crash)')
      },
    }
  }
}

/** Read a message's chunks into one array. */
export const readAll = async (chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> => {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const c of chunks) {
    parts.push(c)
    size += c.length
  }
  const out = new Uint8Array(size)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
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

  /** Add a server and start it listening. */
  addServer(spec: ServerSpec): SimServer {
    const server = new SimServer(this, spec)
    this.servers.set(spec.name, server)
    server.start()
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

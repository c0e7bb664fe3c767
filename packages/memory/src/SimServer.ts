// A server host of a simulated world: a store that survives a crash (and nothing else that does), a
// listener on the in-memory network, and one driver session per accepted connection, started with
// startServerSession exactly as the Node adapter starts it. The default store suffers the run's hook faults.
import { type Envelope, type ServerConfig, concat, mailboxText } from '@smtpure/core'
import {
  type IncomingMessage,
  OptionsError,
  type ServerHooks,
  type SmtpServerSessionOptions,
  SmtpError,
  serverConfigOf,
  startServerSession,
} from '@smtpure/driver'
import * as t from 'io-ts'
import { shown, unknownKeys } from './optionChecks.js'
import type { Simulation } from './Simulation.js'

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

/** How to start one server. */
export interface ServerSpec {
  readonly name: string
  /**
   * Session options, as `createSmtpServer` takes them (`hostname` defaults to `name`), and checked the same way:
   * an unknown key or a value out of range throws the driver's `OptionsError`.
   */
  readonly smtp?: SmtpServerSessionOptions
  /** Offer STARTTLS. */
  readonly tls?: boolean
  /** The application; by default every message goes to the server's store (with the run's faults). */
  readonly hooks?: (server: SimServer) => ServerHooks
  /** Called after a restart (a relay resumes its queue here). */
  readonly onRestart?: (server: SimServer) => void
}

/** The keys a spec may have (each checked on its own below; `smtp` by the driver). */
const specKeys = {
  name: t.unknown,
  smtp: t.unknown,
  tls: t.unknown,
  hooks: t.unknown,
  onRestart: t.unknown,
} as const satisfies Record<keyof ServerSpec, t.Mixed>

/** What is wrong with a spec beside its `smtp`, one line each. */
const specProblems = (spec: ServerSpec): string[] => {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    return [`(spec): expected an object with the server's name, given ${shown(spec)}`]
  const s = spec as unknown as Record<string, unknown>
  const fn = (k: string): string[] =>
    s[k] === undefined || typeof s[k] === 'function' ? [] : [`${k}: expected a function, given ${shown(s[k])}`]
  return [
    ...unknownKeys(specKeys, spec, ''),
    ...(typeof s.name === 'string' && s.name !== '' ? [] : [`name: expected a host name, given ${shown(s.name)}`]),
    ...(s.tls === undefined || typeof s.tls === 'boolean'
      ? []
      : [`tls: expected true or false, given ${shown(s.tls)}`]),
    ...fn('hooks'),
    ...fn('onRestart'),
  ]
}

/** Configs of specs without `smtp`, by name and STARTTLS, shared by every run (configs are immutable). */
const plainConfigs = new Map<string, ServerConfig>()

/**
 * A server's session config, checked as `createSmtpServer` checks its options (the driver's `serverConfigOf`), so
 * a simulated server refuses what a real one refuses, in the same words; `hostname` defaults to the spec's name.
 * @throws OptionsError (`invalid server options:`, one line per problem, such as
 * `smtp.maxRecipientz: unknown option (did you mean maxRecipients?)`) when the spec does not fit.
 */
export const serverConfigFor = (spec: ServerSpec): ServerConfig => {
  const problems = specProblems(spec)
  if (problems.length > 0) throw new OptionsError('server', problems)
  const key = `${spec.tls === true ? 'starttls' : 'clear'} ${spec.name}`
  const cached = spec.smtp === undefined ? plainConfigs.get(key) : undefined
  if (cached !== undefined) return cached
  const own = { hostname: spec.name, ...(spec.tls === true ? { startTls: true } : {}) }
  const given: unknown = spec.smtp
  // options that are not an object are passed as they are, for the driver's line about them
  const smtp = given === undefined ? own : typeof given === 'object' && given !== null ? { ...own, ...given } : given
  const config = serverConfigOf({ smtp: smtp as SmtpServerSessionOptions })
  if (spec.smtp === undefined) {
    if (plainConfigs.size > 1000) plainConfigs.clear()
    plainConfigs.set(key, config)
  }
  return config
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
    this.config = serverConfigFor(spec)
  }

  get name(): string {
    return this.spec.name
  }

  start(): void {
    const hooks = this.spec.hooks ? this.spec.hooks(this) : this.storeHooks()
    const runtime = this.sim.runtime
    const generation = this.generation
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
    this.up = true // once it listens: a name already taken leaves the server down
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
  for await (const c of chunks) parts.push(c)
  return parts.length === 1 ? parts[0]!.slice() : concat(parts)
}

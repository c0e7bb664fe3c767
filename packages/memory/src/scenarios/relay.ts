// The relay scenario, as mail travels: submission clients -> a relay (a server whose store is a queue,
// and client sessions that deliver from it with retries and backoff, routed by the core's mxRoute over
// an in-memory DNS table, null MX included) -> final servers. A permanent failure makes the relay send
// a DSN (core's buildDsn, RFC 3464) to the reverse-path with the null reverse-path; a message whose
// reverse-path was null is never bounced (RFC 5321 6.1, RFC 3464 2).
import { type MxAnswer, type Reply, buildDsn, mailboxText, mxRoute, traceBlock } from '@smtpure/core'
import type { ServerHooks } from '@smtpure/driver'
import { drawFaults } from '../faults.js'
import { Random } from '../Random.js'
import type { SimServer } from '../SimServer.js'
import { Simulation } from '../Simulation.js'
import {
  type RunOptions,
  type RunReport,
  checkedRun,
  type Submission,
  MAX_PENDING,
  backoff,
  endsWith,
  makeBody,
  mayHaveCopied,
  messageIdOf,
} from './common.js'
import { FAULT_PHASE_MS } from './direct.js'

const RELAY = 'relay.example.org'
/** A queued message that is still undelivered this long after it arrived is bounced (4.4.7). */
export const MAX_QUEUE_MS = 2 * 60 * 60_000
/** After the fault phase, everything must be settled within this (virtual). */
export const RELAY_LIVENESS_MS = 5 * 60 * 60_000

/** The DNS of the simulated world: MX answers by domain (anything else is NXDOMAIN). */
const dns = new Map<string, MxAnswer>([
  [
    'example.com',
    {
      _tag: 'Records',
      records: [
        { exchange: 'mx1.example.com', preference: 10 },
        { exchange: 'mx2.example.com', preference: 20 },
      ],
    },
  ],
  ['example.net', { _tag: 'NoRecords' }], // the implicit MX: example.net itself
  ['nullmx.example', { _tag: 'Records', records: [{ exchange: '.', preference: 0 }] }], // RFC 7505
])
const finals: Readonly<Record<string, ReadonlyArray<string>>> = {
  'example.com': ['mx1.example.com', 'mx2.example.com'],
  'example.net': ['example.net'],
}

type RcptState = 'pending' | 'delivered' | 'failed'
interface QueuedRecipient {
  readonly to: string
  state: RcptState
}
/** A queue entry: what the relay's store committed. */
interface Entry {
  readonly key: string
  readonly id: string
  readonly from: string | null
  readonly recipients: QueuedRecipient[]
  readonly body: Uint8Array
  readonly arrival: number
}

const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase()

/** The relay: its queue (durable), its delivery loops (not), and what the harness saw it do. */
class Relay {
  readonly queue: Entry[] = []
  server!: SimServer
  private entries = 0
  /** Harness facts: relay attempts that ended `unknown`, per message id and recipient. */
  readonly unknowns = new Map<string, number>()
  /** Harness facts: recipients the relay gave up on, per message id. */
  readonly failed = new Set<string>()
  bounces = 0
  nullBounces = 0

  constructor(
    readonly sim: Simulation,
    readonly bug: RunOptions['bug'],
  ) {}

  hooks(server: SimServer): ServerHooks {
    this.server = server
    return server.storeHooks((generation, message, body) => {
      if (generation !== server.generation) return false
      const trace = traceBlock([message.received]) // UTF-8 (RFC 6532 3.2): one octet per character would forge lines
      const withTrace = new Uint8Array(trace.length + body.length)
      withTrace.set(trace)
      withTrace.set(body, trace.length)
      const from = message.envelope.from
      this.enqueue(
        from === null ? null : mailboxText(from),
        message.envelope.recipients.map((r) => mailboxText(r.to)),
        withTrace,
        messageIdOf(body) ?? '?',
      )
      return true
    })
  }

  restarted(): void {
    if (this.bug === 'forget-queue') this.queue.length = 0 // the planted bug
    for (const e of this.queue) this.startEntry(e)
  }

  private enqueue(from: string | null, to: ReadonlyArray<string>, body: Uint8Array, id: string): void {
    const e: Entry = {
      key: `q${++this.entries}`,
      id,
      from,
      recipients: to.map((t) => ({ to: t, state: 'pending' })),
      body,
      arrival: this.sim.scheduler.now,
    }
    this.queue.push(e)
    this.startEntry(e)
  }

  private startEntry(e: Entry): void {
    const domains = new Set(e.recipients.filter((r) => r.state === 'pending').map((r) => domainOf(r.to)))
    for (const d of domains) void this.deliver(e, d, this.server.generation)
  }

  private done(e: Entry): void {
    const at = this.queue.indexOf(e)
    if (at >= 0 && e.recipients.every((r) => r.state !== 'pending')) this.queue.splice(at, 1)
  }

  /** Deliver one entry's recipients in one domain until none is pending, or the process dies. */
  private async deliver(e: Entry, domain: string, generation: number): Promise<void> {
    const sim = this.sim
    const alive = (): boolean => generation === this.server.generation
    const pending = (): QueuedRecipient[] =>
      e.recipients.filter((r) => r.state === 'pending' && domainOf(r.to) === domain)
    for (let round = 1; alive() && pending().length > 0; round++) {
      if (sim.scheduler.now - e.arrival > MAX_QUEUE_MS) {
        const reply: Reply = { code: 451, enhanced: '4.4.7', lines: ['Delivery time expired'] }
        return this.fail(e, pending(), '4.4.7', reply, undefined)
      }
      const route = mxRoute(domain, dns.get(domain) ?? { _tag: 'NoDomain' }, sim.seed, [RELAY])
      if (route._tag === 'NullMx')
        // RFC 7505 4.1: a domain with a null MX takes no mail; 556 5.1.10
        return this.fail(
          e,
          pending(),
          '5.1.10',
          { code: 556, enhanced: '5.1.10', lines: ['Recipient address has null MX'] },
          undefined,
        )
      if (route._tag !== 'Hosts')
        return this.fail(
          e,
          pending(),
          '5.1.2',
          { code: 550, enhanced: '5.1.2', lines: ['Domain does not exist'] },
          undefined,
        )
      for (const host of route.hosts) {
        const rcpts = pending()
        if (rcpts.length === 0 || !alive()) break
        // RFC 5321 5.1: on a connection failure or a temporary error, go on to the next MX host.
        await sim.attempt(RELAY, host.host, { from: e.from, to: rcpts.map((r) => r.to), body: e.body }, (result) => {
          for (const o of result.recipients) {
            const key = `${e.id} ${o.address}`
            if (o.status === 'unknown') this.unknowns.set(key, (this.unknowns.get(key) ?? 0) + 1)
          }
          if (!alive()) return
          const failed: QueuedRecipient[] = []
          let reply: Reply | undefined
          for (const o of result.recipients) {
            const r = rcpts.find((x) => x.to === o.address)
            if (r === undefined || r.state !== 'pending') continue
            if (o.status === 'accepted') r.state = 'delivered'
            if (o.status === 'permanent') {
              failed.push(r)
              reply = o.reply
            }
          }
          if (failed.length > 0) this.fail(e, failed, reply?.enhanced ?? '5.0.0', reply, host.host)
          this.done(e)
        })
      }
      if (pending().length > 0) await sim.scheduler.sleep(backoff(sim.scheduler.random, round))
    }
  }

  /** Recipients failed for good: mark them and bounce, unless the reverse-path was null. */
  private fail(
    e: Entry,
    rcpts: QueuedRecipient[],
    status: string,
    reply: Reply | undefined,
    remoteMta: string | undefined,
  ): void {
    for (const r of rcpts) {
      r.state = 'failed'
      this.failed.add(`${e.id} ${r.to}`)
    }
    this.done(e)
    // RFC 3464 2 / RFC 5321 6.1: a message with the null reverse-path is never answered with a DSN.
    if (e.from === null) {
      this.nullBounces++
      return
    }
    const now = this.sim.runtime.now()
    const n = ++this.bounces
    const dsn = buildDsn({
      reportingMta: RELAY,
      from: `postmaster@${RELAY}`,
      to: e.from,
      date: now,
      messageId: `dsn.${n}.${e.key}@${RELAY}`,
      boundary: `dsn-${n}-${this.sim.runtime.randomToken()}`,
      arrival: { epochMs: now.epochMs - (this.sim.scheduler.now - e.arrival), offsetMinutes: 0 },
      recipients: rcpts.map((r) => ({
        finalRecipient: r.to,
        action: 'failed' as const,
        status: status.startsWith('5') ? status : `5${status.slice(1)}`,
        ...(remoteMta !== undefined ? { remoteMta } : {}),
        ...(reply !== undefined ? { diagnostic: reply } : {}),
      })),
      original: e.body,
    })
    if (dsn._tag === 'Left') throw new Error(`relay could not build a DSN: ${dsn.left.reason}`)
    this.sim.summary.bounced++
    this.enqueue(null, [e.from], dsn.right.message, `dsn.${n}.${e.key}@${RELAY}`)
  }
}

const policy: ServerHooks = {
  onRcptTo: (to) => {
    if (to.localPart.startsWith('nobody')) return { code: 550, enhanced: '5.1.1', lines: ['No such user'] }
  },
}

/**
 * Run one seed of the relay scenario and check every invariant. Rejects with `OptionsError` when the options do
 * not fit (a seed past `MAX_SEED`, an unknown profile).
 * @example
 * const report = await runRelay({ seed: 7, profile: 'faulty' })
 */
export const runRelay = async (options: RunOptions): Promise<RunReport> => {
  const { seed, profile } = checkedRun(options, 'relay')
  const sim = new Simulation({
    seed,
    faults: drawFaults(new Random(seed, 1), profile),
    keepTrace: options.keepTrace ?? false,
  })
  const w = new Random(seed, 2)
  const relay = new Relay(sim, options.bug)
  sim.addServer({ name: RELAY, tls: w.chance(0.5), hooks: (s) => relay.hooks(s), onRestart: () => relay.restarted() })
  for (const name of ['mx1.example.com', 'mx2.example.com', 'example.net'])
    sim.addServer({ name, tls: w.chance(0.5), hooks: (s) => ({ ...s.storeHooks(), ...policy }) })
  const submissions: Submission[] = []
  const clients = w.int(1, 2)
  const rcptPool = [
    'rcpt0@example.com',
    'rcpt1@example.com',
    'rcpt0@example.net',
    'nobody@example.com',
    'x@nullmx.example',
    'x@nowhere.example',
  ]
  for (let c = 1; c <= clients; c++) {
    for (let m = 1, n = w.int(1, 2); m <= n; m++) {
      const id = `${seed}.${c}.${m}@client${c}.example.org`
      const from = w.chance(0.1) ? null : w.chance(0.1) ? `user${c}@nullmx.example` : `user${c}@example.net`
      const to = [
        ...new Set(
          Array.from({ length: w.int(1, 3) }, () => (w.chance(0.7) ? w.pick(rcptPool.slice(0, 3)) : w.pick(rcptPool))),
        ),
      ]
      submissions.push({
        id,
        client: `client${c}.example.org`,
        server: RELAY,
        message: { from, to, body: makeBody(w, id, from, to) },
        attempts: [],
        final: undefined,
      })
    }
  }
  sim.planFaults(FAULT_PHASE_MS)
  sim.scheduler.at(FAULT_PHASE_MS, () => sim.calm())
  const deadline = FAULT_PHASE_MS + RELAY_LIVENESS_MS
  for (let c = 1; c <= clients; c++) {
    const mine = submissions.filter((s) => s.client === `client${c}.example.org`)
    void (async () => {
      await sim.scheduler.sleep(w.int(0, 60_000))
      for (const s of mine) {
        while (s.final === undefined && sim.scheduler.now < deadline) {
          const a = await sim.attempt(s.client, RELAY, s.message)
          s.attempts.push(a)
          if (a.status === 'accepted') s.final = 'accepted'
          else if (a.status === 'permanent') s.final = 'rejected'
          else await sim.scheduler.sleep(backoff(sim.scheduler.random, s.attempts.length))
        }
      }
    })()
  }
  const settled = (): boolean =>
    submissions.every((s) => s.final !== undefined) &&
    relay.queue.length === 0 &&
    sim.sessionsOpen === 0 &&
    sim.network.open.size === 0
  await sim.run(deadline, settled)
  const settledAt = sim.scheduler.now
  await sim.run(deadline)
  const violations = checkRelay(sim, relay, submissions)
  if (!settled())
    violations.push(
      `liveness: not settled by ${sim.scheduler.now} ms: ${submissions.filter((s) => s.final === undefined).length} submissions without a verdict, ${relay.queue.length} queue entries, ${sim.sessionsOpen} sessions and ${sim.network.open.size} connections open`,
    )
  return {
    scenario: 'relay',
    seed,
    profile,
    summary: sim.summary,
    traceHash: sim.trace.hash(),
    violations,
    virtualMs: settledAt,
    steps: sim.scheduler.steps,
    sessions: sim.sessionsStarted,
    maxPending: sim.scheduler.maxPending,
    trace: sim.trace.events,
  }
}

const latin1 = (b: Uint8Array): string => {
  let s = ''
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096))
  return s
}

/** A message with the null reverse-path that is no submission must be a DSN about one with a real reverse-path. */
const checkDsn = (
  v: string[],
  byId: ReadonlyMap<string, Submission>,
  dsnFor: Set<string>,
  stored: { readonly body: Uint8Array; readonly to: ReadonlyArray<string> },
): void => {
  const text = latin1(stored.body)
  const returned = text.slice(text.indexOf('text/rfc822-headers'))
  const about = /\r\nMessage-ID: <([^>]+)>\r\n[\s\S]*--dsn-/.exec(returned)?.[1]
  const s = about === undefined ? undefined : byId.get(about)
  if (!text.includes('Content-Type: multipart/report; report-type=delivery-status'))
    v.push(`injected: a message with the null reverse-path is not a DSN`)
  else if (s === undefined) v.push(`bounced a bounce, or a DSN about an unknown message (${about ?? 'none'})`)
  // RFC 3464 2: never a DSN for a message that had the null reverse-path
  else if (s.message.from === null) v.push(`bounced a message with the null reverse-path: ${s.id}`)
  else if (stored.to.join() !== s.message.from) v.push(`DSN for ${s.id} went to ${stored.to.join()}`)
  else for (const m of text.matchAll(/Final-Recipient: rfc822; (\S+)/g)) dsnFor.add(`${s.id} ${m[1]}`)
}

const checkRelay = (sim: Simulation, relay: Relay, submissions: ReadonlyArray<Submission>): string[] => {
  const v: string[] = []
  const byId = new Map(submissions.map((s) => [s.id, s]))
  const copies = new Map<string, number>()
  const dsnFor = new Set<string>()
  for (const server of sim.servers.values()) {
    if (server.name === RELAY) continue
    for (const stored of server.committed) {
      const id = idAfterTrace(stored.body)
      const s = id === undefined ? undefined : byId.get(id)
      if (s === undefined && stored.from === null) {
        checkDsn(v, byId, dsnFor, stored)
        sim.summary.delivered++
        continue
      }
      if (s === undefined) {
        v.push(`injected: ${server.name} stored a message nobody sent (${id ?? 'no Message-ID'})`)
        continue
      }
      if (stored.from !== s.message.from) v.push(`reverse-path changed: ${s.id}`)
      // (1) the final copy is the submitted message behind the relay's own Received field
      if (!endsWith(stored.body, s.message.body) || !latin1(stored.body.subarray(0, 10)).startsWith('Received: '))
        v.push(`altered: ${s.id} at ${server.name}`)
      for (const to of stored.to) {
        if (!s.message.to.includes(to)) v.push(`recipient added: ${to} for ${s.id}`)
        if (!(finals[domainOf(to)] ?? []).includes(server.name)) v.push(`misrouted: ${to} at ${server.name}`)
        copies.set(`${s.id} ${to}`, (copies.get(`${s.id} ${to}`) ?? 0) + 1)
      }
      sim.summary.delivered++
    }
  }
  for (const s of submissions) {
    const accepted = s.attempts.some((a) => a.status === 'accepted')
    for (const to of s.message.to) {
      const key = `${s.id} ${to}`
      const n = copies.get(key) ?? 0
      // (2) a 250 from the relay is a promise: delivered, or given up on (and bounced when it can be)
      if (accepted && n === 0 && !relay.failed.has(key)) v.push(`lost: ${key} was answered 250 by the relay`)
      const senderReachable = s.message.from !== null && finals[domainOf(s.message.from)] !== undefined
      if (relay.failed.has(key) && senderReachable && !dsnFor.has(key)) v.push(`no DSN reached the sender for ${key}`)
      // (3) copies only where a reply was lost on the way (submission or relay), RFC 5321 6.1
      const allowed = mayHaveCopied(s.attempts) + (relay.unknowns.get(key) ?? 0)
      if (n > allowed) v.push(`duplicate outside the window: ${key} stored ${n} times, ${allowed} allowed`)
      if (n > 1) sim.summary.duplicates += n - 1
    }
  }
  if (sim.network.maxHeld > 2 * 1024 * 1024) v.push(`unbounded: a connection held ${sim.network.maxHeld} octets`)
  if (sim.scheduler.maxPending > MAX_PENDING)
    v.push(`unbounded: ${sim.scheduler.maxPending} events were waiting at once`)
  return v
}

/** The Message-ID of a body that starts with the relay's Received field. */
const idAfterTrace = (body: Uint8Array): string | undefined => {
  const text = latin1(body.subarray(0, 2048))
  return /\r\nMessage-ID: <([^>\r\n]+)>/i.exec(text)?.[1]
}

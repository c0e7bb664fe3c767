// `smtpure serve`: a small final-destination SMTP (or LMTP) server that delivers every accepted
// message into MAILDIR/<recipient>/new/ before it says 250 (RFC 5321 6.1).
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { resolve } from 'node:path'
import {
  type Credentials,
  type Mailbox,
  type Reply,
  canonicalMailbox,
  formatDeliveredTo,
  formatReturnPath,
  isPostmaster,
  mailboxKey,
  mailboxText,
  parseMailbox,
  traceBlock,
  verifyCramMd5,
} from '@smtpure/core'
import { type IncomingMessage, type SessionInfo, SmtpError } from '@smtpure/driver'
import { FileSteps, Maildir, type MaildirOptions, StoreError } from '@smtpure/maildir'
import { adapterName, loadAdapter } from './adapter.js'
import { lineLogger, logFormat, version } from './log.js'
import {
  CantCreateError,
  ConfigError,
  EX_OK,
  InputError,
  UnavailableError,
  UsageError,
  hostPort,
  oneLine,
  parseFlags,
  readSmallFile,
  wholeNumber,
} from './usage.js'
import { operations, operationsOptions } from './operations.js'
import { isPrimary, runWorkers, workerCount } from './workers.js'

export const serveHelp = `Usage: smtpure serve [options]

A final-destination SMTP server that delivers into Maildirs.

Options:
  --port N              port to listen on (default 2525; 0 picks a free one)
  --host ADDR           address to listen on (default 127.0.0.1)
  --hostname NAME       the server's name in replies and Received (default localhost)
  --maildir DIR         where mailboxes live (default ./mail)
  --maildir-steps auto|pool
                        where the store's file steps run: auto (the default) on the event loop while
                        they are quick, else in the thread pool; pool always in the thread pool (a
                        network file system, or a disk another process syncs large files to)
  --mailbox ADDR        accept only these recipients (repeatable; others get 550 5.1.1);
                        postmaster of their domains is always accepted
  --tls-cert FILE       certificate (PEM); with --tls-key enables STARTTLS
  --tls-key FILE        private key (PEM)
  --user NAME:PASSWORD  enable AUTH PLAIN LOGIN CRAM-MD5 for this user (repeatable)
  --allow-insecure-auth offer AUTH without TLS (not for use beyond loopback)
  --require-auth        530 to MAIL until AUTH succeeded
  --require-tls         530 to all but EHLO, STARTTLS, NOOP, QUIT until TLS is on
  --max-size BYTES      message size limit, advertised with SIZE (default 26214400)
  --max-recipients N    recipients per message (default 100)
  --max-connections N   connections at once; more get 421 (default 1000; 0 for no limit)
  --max-connections-per-address N
                        connections at once from one address (default 50; 0 for no limit);
                        loopback clients are exempt unless --limit-loopback
  --limit-loopback      hold loopback clients to --max-connections-per-address too
  --lmtp                speak LMTP (RFC 2033) instead of SMTP
  --proxy-trusted ADDR  accept a PROXY protocol header (v1 or v2) from this address or CIDR block,
                        and require one from it (repeatable); a header from anyone else gets 554
  --proxy-timeout MS    how long a trusted source has to send its header (default 5000)
  --xclient-trusted ADDR
                        offer XCLIENT to clients from this address or CIDR block (repeatable)
  --workers N|auto      run N worker processes sharing the port (auto: one per core);
                        SIGHUP replaces them one at a time
  --metrics HOST:PORT   serve Prometheus metrics at /metrics and a health check at /health
  --log-format FORMAT   log each session's events on stderr: text (one line each) or json
                        (one object per line, as pino writes); off when not given
  --verbose             with --log-format, also log debug events: each EHLO/HELO, and each command
                        and reply line (AUTH data redacted, message content as its size only)
  -h, --help            show this help
  --version             print the version

Examples:
  smtpure serve
  smtpure serve --port 2525 --mailbox alice@example.com --maildir /tmp/mail
  smtpure serve --tls-cert cert.pem --tls-key key.pem --user alice:s3cret --require-auth
`

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
  hostname: { type: 'string' },
  maildir: { type: 'string' },
  'maildir-steps': { type: 'string' },
  mailbox: { type: 'string', multiple: true },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  user: { type: 'string', multiple: true },
  'allow-insecure-auth': { type: 'boolean' },
  'require-auth': { type: 'boolean' },
  'require-tls': { type: 'boolean' },
  'max-size': { type: 'string' },
  'max-recipients': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-connections-per-address': { type: 'string' },
  'limit-loopback': { type: 'boolean' },
  lmtp: { type: 'boolean' },
  'proxy-trusted': { type: 'string', multiple: true },
  'proxy-timeout': { type: 'string' },
  'xclient-trusted': { type: 'string', multiple: true },
  workers: { type: 'string' },
  metrics: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  'log-format': { type: 'string' },
  verbose: { type: 'boolean' },
} as const

const parseUsers = (users: ReadonlyArray<string>): Map<string, string> => {
  const map = new Map<string, string>()
  for (const u of users) {
    const colon = u.indexOf(':')
    if (colon < 1 || colon === u.length - 1)
      throw new UsageError('--user needs NAME:PASSWORD (what was given is not shown: it may hold a password)')
    const name = u.slice(0, colon)
    // a second password for one name would silently win over the first
    if (map.has(name)) throw new UsageError(`--user ${JSON.stringify(name)} is given twice`)
    map.set(name, u.slice(colon + 1))
  }
  return map
}

const checkCredentials = (users: Map<string, string>, c: Credentials): boolean => {
  const password = users.get(c.username)
  if (password === undefined) return false
  switch (c.mechanism) {
    case 'PLAIN':
      return c.password === password && (c.authzid === '' || c.authzid === c.username)
    case 'LOGIN':
      return c.password === password
    case 'CRAM-MD5':
      return verifyCramMd5(password, c.challenge, c.digest)
    case 'XOAUTH2':
      return false
  }
}

/**
 * The recipient policy. Mailboxes compare in canonical form (RFC 5321 4.1.2: "bob" and bob are one
 * mailbox; domains without case), local parts without regard to ASCII case, as most mail systems do.
 * Postmaster is always accepted, bare or at a served domain (RFC 5321 4.5.1).
 */
class RecipientPolicy {
  private readonly keys: ReadonlySet<string> | undefined
  private readonly domains: ReadonlySet<string>

  constructor(mailboxes: ReadonlyArray<string> | undefined, hostname: string) {
    const parsed = mailboxes?.map((text) => {
      const m = parseMailbox(text)
      if (m._tag === 'Left') throw new UsageError(`--mailbox ${JSON.stringify(text)}: ${m.left.text}`)
      return m.right
    })
    this.keys = parsed === undefined ? undefined : new Set(parsed.map((m) => RecipientPolicy.key(m)))
    this.domains = new Set([
      canonicalMailbox({ localPart: 'x', domain: hostname, utf8: false }).domain,
      ...(parsed ?? []).map((m) => canonicalMailbox(m).domain),
    ])
  }

  /** The name a recipient is compared and filed by: canonical, local part in ASCII lower case. */
  static key(m: Mailbox): string {
    return mailboxKey(m, 'ascii-case-insensitive')
  }

  /** No `--mailbox` was given: every recipient is taken, and no hook need be asked. */
  get acceptsAll(): boolean {
    return this.keys === undefined
  }

  accepts(m: Mailbox): boolean {
    if (this.keys === undefined) return true
    if (isPostmaster(m) && (m.domain === '' || this.domains.has(canonicalMailbox(m).domain))) return true
    return this.keys.has(RecipientPolicy.key(m))
  }
}

/** The flag each session option comes from, to name it when the option is refused. */
const flagOf: Record<string, string> = {
  hostname: '--hostname',
  maxRecipients: '--max-recipients',
  maxMessageSize: '--max-size',
}

/** A file a flag names (at most 1 MiB), or a one-line error (exit 66) naming the flag. */
const readInput = (flag: string, path: string): Buffer => {
  try {
    return readSmallFile(path)
  } catch (e) {
    throw new InputError(`${flag}: cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/**
 * The certificate and key can serve TLS together: both parse, and the key is the certificate's; else one line
 * naming the flags (exit 78). Checked before listening on every runtime: Bun and Deno take a key that is no key
 * and fail only at each client's handshake.
 */
const checkTlsPair = (cert: Buffer, key: Buffer): void => {
  const text = key.toString('latin1')
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text))
    throw new ConfigError('--tls-key: the key is encrypted, and serve takes no passphrase')
  // a key file may hold the certificate too (Node and Bun skip it; Deno's createPrivateKey does not)
  const block = /-----BEGIN ([A-Z ]*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/.exec(text)?.[0]
  let matches: boolean
  try {
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(block ?? key))
  } catch (e) {
    throw new ConfigError(`--tls-cert/--tls-key: ${oneLine(e instanceof Error ? e.message : String(e))}`)
  }
  if (!matches) throw new ConfigError("--tls-cert/--tls-key: the key is not the certificate's")
}

/**
 * The store's options for `--maildir-steps`: `auto` (or none) leaves both kinds of file step to the store's rule
 * (see `FileSteps`), `pool` keeps both in the thread pool; anything else is a usage error. Either way the store
 * takes no worker thread for messages with many recipients (`MaildirOptions.workerCopies`: its memory, some 10 to
 * 20 MB at the peak, buys little time).
 */
export const maildirSteps = (value: string | undefined): MaildirOptions => {
  if (value === undefined || value === 'auto') return { workerCopies: Infinity }
  if (value === 'pool')
    return {
      metadataSteps: new FileSteps({ inline: false }),
      syncSteps: new FileSteps({ inline: false }),
      workerCopies: Infinity,
    }
  throw new UsageError(`--maildir-steps: expected auto or pool, given ${JSON.stringify(value)}`)
}

/**
 * The Maildir root exists (it is made) and a folder can be made in it, or a one-line error (exit 73) before
 * listening. A root under /proc is an error too, not a hang (see `makeDirectory` in @smtpure/maildir).
 */
const prepareMaildir = async (root: string, options: MaildirOptions): Promise<Maildir> => {
  const store = new Maildir(root, options)
  try {
    await store.prepare()
  } catch (e) {
    throw new CantCreateError(`--maildir: cannot use ${root}: ${e instanceof Error ? e.message : String(e)}`)
  }
  return store
}

/** Run `make`; options it refuses become one usage line naming the flags. */
const usageOf = <T>(make: () => T): T => {
  try {
    return make()
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e)
    // a certificate and key that node:tls cannot use (swapped, not PEM, not a pair)
    if (!message.startsWith('invalid server options'))
      throw /PEM|key|cert|asn1|ssl|tls|DECODER|routines/i.test(message)
        ? new ConfigError(`--tls-cert/--tls-key: ${oneLine(message)}`)
        : e
    const problems = message.split('\n').slice(1)
    throw new UsageError(
      problems.map((p) => p.replace(/^(?:smtp\.)?(\w+):/, (_, k: string) => `${flagOf[k] ?? k}:`)).join('; '),
    )
  }
}

/** Errors of the listening socket itself: `listen` rejects with them, and that is where they are reported. */
// the listen promise reports these itself, as the one line `cannot listen on ...`; a --host that is
// no address is looked up as a name first, so its failure comes from getaddrinfo
const isListenFailure = (e: unknown): boolean =>
  ['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL'].includes(String((e as { code?: unknown } | null)?.code)) ||
  (e as { syscall?: unknown } | null)?.syscall === 'getaddrinfo'

/** A peer that hangs up early is a normal network event, not an error worth a line on stderr. */
const isHangup = (e: unknown): boolean =>
  e instanceof Error &&
  'code' in e &&
  ['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END'].includes(
    String(e.code),
  )

/**
 * What the delivery checks before it commits: the session's `aborted`, which makes no AbortSignal (Node's
 * cost memory, one per message), and the signal's reason only once it aborted. A class, for the same
 * reason: an object literal with getters costs V8 as much.
 */
class CalledOff {
  constructor(private readonly session: Pick<SessionInfo, 'signal' | 'aborted'>) {}
  get aborted(): boolean {
    return this.session.aborted
  }
  get reason(): unknown {
    return this.session.aborted ? this.session.signal.reason : undefined
  }
}

/**
 * The message hook of `serve`: one copy per distinct recipient into its Maildir, with Return-Path,
 * Delivered-To and Received before the message, all on disk before the 250. In SMTP the copies land together
 * or not at all (one reply); in LMTP each lands or fails on its own, and each recipient hears its own outcome.
 * Once the session stops waiting (`session.signal`: past hookTimeoutMs the client heard 451, at the close
 * deadline 421) the delivery is called off and nothing lands, so the client's retry is the only copy.
 */
export const deliverInto =
  (store: Maildir, lmtp: boolean, hostname = 'localhost') =>
  async (m: IncomingMessage, session: Pick<SessionInfo, 'signal' | 'aborted'>): Promise<Reply | Reply[]> => {
    const from = m.envelope.from === null ? null : mailboxText(m.envelope.from)
    // the bare <Postmaster> is this host's (RFC 5321 4.5.1): one mailbox with postmaster@hostname
    const recipients = m.envelope.recipients.map(({ to }) =>
      RecipientPolicy.key(
        isPostmaster(to) && to.domain === '' ? { ...to, localPart: 'postmaster', domain: hostname } : to,
      ),
    )
    try {
      // Each copy's head: Return-Path, its own Delivered-To, the Received field. The pieces every copy shares
      // are encoded once, which a message for 100 recipients feels.
      const returnPath = traceBlock([formatReturnPath(from)])
      const received = traceBlock([m.received])
      // two spellings of one mailbox get one copy (RFC 5321 4.1.2)
      const mailboxes = [...new Set(recipients)]
      // In LMTP each mailbox lands or fails on its own, as each recipient gets its own reply (RFC 2033 4.2)
      const delivery = store.begin(
        mailboxes.map((rcpt) => ({
          address: rcpt,
          head: [returnPath, traceBlock([formatDeliveredTo(rcpt)]), received],
        })),
        { separately: lmtp },
      )
      await delivery.writeAll(m.chunks, new CalledOff(session))
      if (!lmtp) return ok
      const failures = delivery.failures
      const replies = new Map(mailboxes.map((rcpt, i) => [rcpt, failures[i]?.reply ?? ok]))
      for (const f of failures) if (f !== undefined) storeFailed(f)
      return recipients.map((rcpt) => replies.get(rcpt) ?? ok)
    } catch (e) {
      // A StoreError answers 452 (disk full) or 451, and nothing is left in new/; the operator hears why.
      if (e instanceof StoreError) storeFailed(e)
      throw e
    }
  }

const ok: Reply = { code: 250, enhanced: '2.0.0', lines: ['Ok: delivered'] }

/** Tell the operator why a copy was not stored (its client heard 451 or 452). */
const storeFailed = (e: StoreError): void => {
  process.stderr.write(`smtpure serve: store: ${String(e.cause)}\n`)
}

const denied: Reply = { code: 535, enhanced: '5.7.8', lines: ['Authentication credentials invalid'] }

/** Run the server until SIGTERM or SIGINT; resolves with the exit code. */
export const serve = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values: v } = parseFlags(argv, options, false)
  if (v.help) {
    process.stdout.write(serveHelp)
    return EX_OK
  }
  if (v.version) {
    process.stdout.write(`smtpure ${version()}\n`)
    return EX_OK
  }
  const format = logFormat(v['log-format'])
  if (v.verbose && format === undefined) throw new UsageError('--verbose needs --log-format text or json')
  const logger = format && lineLogger(format, v.verbose === true, (line) => process.stderr.write(`${line}\n`))
  if ((v['tls-cert'] === undefined) !== (v['tls-key'] === undefined))
    throw new UsageError('--tls-cert and --tls-key go together')
  const ops = await operations(v)
  // @smtpure/bun and @smtpure/deno refuse these options (they would otherwise read a balancer's header as SMTP)
  for (const flag of ['proxy-trusted', 'xclient-trusted'] as const)
    if (v[flag] !== undefined && adapterName() !== '@smtpure/node')
      throw new UsageError(`--${flag} works on Node only (this is ${'Bun' in globalThis ? 'Bun' : 'Deno'})`)
  // node:cluster shares no listening port among workers on Bun or Deno: each would listen on a port of its own
  if (v.workers !== undefined && adapterName() !== '@smtpure/node')
    throw new UsageError(`--workers works on Node only (this is ${'Bun' in globalThis ? 'Bun' : 'Deno'})`)
  const workers = v.workers === undefined ? undefined : workerCount(v.workers)
  const port = wholeNumber('port', v.port, 2525, 65535)
  const host = v.host ?? '127.0.0.1'
  // an empty address means every interface to Node and nothing to Bun and Deno: neither is what was asked
  if (host.trim() === '')
    throw new UsageError(`--host: expected an address or a host name, given ${JSON.stringify(host)}`)
  if (v.maildir?.trim() === '') throw new UsageError('--maildir: expected a directory, given ""')
  const hostname = v.hostname ?? 'localhost'
  const policy = new RecipientPolicy(v.mailbox, hostname)
  const users = parseUsers(v.user ?? [])
  // settings under which no message could ever be taken: STARTTLS is offered only with a certificate, AUTH only
  // with users
  if (v['require-tls'] === true && v['tls-cert'] === undefined)
    throw new UsageError('--require-tls needs --tls-cert and --tls-key: without them no client could start TLS')
  if (v['require-auth'] === true && users.size === 0)
    throw new UsageError('--require-auth needs --user: without one no client could authenticate')
  const tls =
    v['tls-cert'] !== undefined && v['tls-key'] !== undefined
      ? { cert: readInput('--tls-cert', v['tls-cert']), key: readInput('--tls-key', v['tls-key']) }
      : undefined
  if (tls !== undefined) checkTlsPair(tls.cert, tls.key)
  // checked in the primary of --workers too: one line from the command, not one from each worker
  const store = await prepareMaildir(resolve(v.maildir ?? './mail'), maildirSteps(v['maildir-steps']))
  if (workers !== undefined && isPrimary()) return runWorkers(workers, v.metrics)
  const lmtp = v.lmtp === true

  const { createSmtpServer } = await loadAdapter()
  const server = usageOf(() =>
    createSmtpServer({
      smtp: {
        hostname,
        lmtp,
        authMechanisms: users.size > 0 ? ['PLAIN', 'LOGIN', 'CRAM-MD5'] : [],
        allowInsecureAuth: v['allow-insecure-auth'] === true,
        requireAuth: v['require-auth'] === true,
        requireTls: v['require-tls'] === true,
        maxMessageSize: wholeNumber('max-size', v['max-size'], 26214400),
        maxRecipients: wholeNumber('max-recipients', v['max-recipients'], 100),
        limits: true,
      },
      ...(tls ? { tls } : {}),
      ...(logger ? { logger, transcript: v.verbose === true } : {}),
      maxConnections: wholeNumber('max-connections', v['max-connections'], 1000),
      maxConnectionsPerAddress: wholeNumber('max-connections-per-address', v['max-connections-per-address'], 50),
      limitLoopback: v['limit-loopback'] === true,
      ...operationsOptions(v),
      onError: (e) => {
        if (!(e instanceof SmtpError) && !isHangup(e) && !isListenFailure(e))
          process.stderr.write(`smtpure serve: ${oneLine(e instanceof Error ? e.message : String(e))}\n`)
      },
      hooks: ops.instrument({
        onAuth: (c) => (checkCredentials(users, c) ? undefined : denied),
        // without --mailbox there is nothing to check, and a RCPT asks no hook (one round of promises less)
        ...(policy.acceptsAll
          ? {}
          : {
              onRcptTo: (to: Mailbox) => {
                if (!policy.accepts(to)) throw new SmtpError(550, '5.1.1', `<${mailboxText(to)}>: no such mailbox here`)
              },
            }),
        onMessage: deliverInto(store, lmtp, hostname),
      }),
    }),
  )
  const address = await server.listen(port, host).catch((e: unknown) => {
    throw new UnavailableError(`cannot listen on ${host}:${port}: ${e instanceof Error ? e.message : String(e)}`)
  })
  let stopping = false
  const endpoint = await ops.start(() => !stopping)
  // maildir(5): files a dead writer left in tmp/ go after 36 hours; look at start and then hourly.
  const sweep = (): void => void store.sweep().catch(() => undefined)
  sweep()
  setInterval(sweep, 60 * 60 * 1000).unref()
  process.stdout.write(`listening on ${hostPort(address.address, address.port)}\n`)
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop()
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
  })
  stopping = true
  await server.close(10000)
  await store.close()
  await endpoint.close()
  return EX_OK
}

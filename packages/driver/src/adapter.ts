// The application API every runtime adapter offers (`createSmtpServer`, `connectSmtp`), in types
// that name no runtime, so a program moves between Node, Bun and Deno by changing one import; and
// the bookkeeping their servers share: options decoded at the edge, a connection cap (421, RFC 5321
// 3.8) and a graceful close.
import * as t from 'io-ts'
import {
  type ClientConfig,
  ClientOptions,
  type ServerConfig,
  ServerOptions,
  clientConfig,
  defaultServerConfig,
  replyBytes,
  serverConfig,
} from '@smtpure/core'
import { type Admission, type Admitted, ConnectionGate, defaultConnectionLimits } from './ConnectionGate.js'
import type { ServerHooks } from './hooks.js'
import type { ClientSessionOptions } from './ClientDriver.js'
import { type Logger, loggedHooks, transcriptTo } from './logging.js'
import { type ServerSession, startServerSession } from './ServerDriver.js'
import { OptionsError, kindOf, ruleProblems, shown, typeProblems, unknownKeys } from './options.js'
import { transcribed } from './transcript.js'
import type { Runtime, Transport } from './Transport.js'

/** A certificate chain and its private key, PEM. */
export interface TlsFiles {
  readonly key: string | Uint8Array
  readonly cert: string | Uint8Array
}

/**
 * The server session's options (`ServerOptions` of `@smtpure/core`): any subset of `hostname`,
 * `greeting`, `lmtp`, the extensions, `authMechanisms`, `requireAuth`, `requireTls` and the limits
 * (`maxMessageSize` in octets, `maxRecipients`, `idleTimeoutMs`, ...).
 */
export type SmtpServerSessionOptions = ServerOptions

/**
 * The client session's options (`ClientOptions` of `@smtpure/core`) less `tls` and `implicitTls`,
 * which `security` sets; `helo` defaults to `localhost`.
 */
export type SmtpClientSessionOptions = Omit<ClientOptions, 'helo' | 'tls' | 'implicitTls'> & { readonly helo?: string }

/** What `createSmtpServer` takes, on every runtime. */
export interface SmtpServerOptions {
  /**
   * Session options, checked when the server is created: an unknown key, a value of the wrong type or
   * one outside the RFC limits throws `OptionsError` with one line per problem.
   */
  readonly smtp?: SmtpServerSessionOptions
  readonly hooks?: ServerHooks
  /** A logger shaped like pino's: each session's events go to it (see `loggedHooks`). */
  readonly logger?: Logger
  /**
   * With `logger`: also write each command and reply line as a `transcript` event at debug level,
   * AUTH data redacted and message content left out (see `transcribed`). Default false.
   */
  readonly transcript?: boolean
  /** Certificate and key: enables STARTTLS (or implicit TLS with `implicitTls`); `sni` maps names to others. */
  readonly tls?: TlsFiles & {
    readonly sni?: Readonly<Record<string, TlsFiles>>
    /**
     * Ask each client for a certificate in the handshake (default false). A client that presents none, or
     * one that does not verify against `ca`, is not refused by the handshake: hooks see it in
     * `session.tlsInfo` (`authorized`, `peerCertificate`) and `onSecure` decides.
     */
    readonly requestCert?: boolean
    /** CA certificates (PEM) that client certificates are verified against (default: the runtime's trusted CAs). */
    readonly ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array>
  }
  /** TLS from the first byte, as on port 465 (RFC 8314 3.3). */
  readonly implicitTls?: boolean
  /** Connections at once; past it new ones get 421 and are closed (default 1000; 0 for no limit). */
  readonly maxConnections?: number
  /** Connections at once from one client address (default 50; 0 for no limit); see `ConnectionGate`. */
  readonly maxConnectionsPerAddress?: number
  /** Hold loopback clients to `maxConnectionsPerAddress` too (default false). */
  readonly limitLoopback?: boolean
  /**
   * ms a hook may take before the client hears 451 (454 for AUTH, 421 for `onConnect` and `onSecure`) in its
   * place (default 300000); the hook's `session.signal` then aborts.
   */
  readonly hookTimeoutMs?: number
  /** Implicit TLS: ms a new connection has to finish its handshake before it is dropped (default 10000). */
  readonly tlsHandshakeTimeoutMs?: number
  /**
   * Hears errors no client sees, for logging: among them a hook that failed or did not answer within
   * `hookTimeoutMs`, a refused PROXY header, the listening server's errors and the sockets' errors. A client's
   * reset once it read the 221 to its QUIT is not one: many clients close so.
   */
  readonly onError?: (error: unknown) => void
}

/** Where a server listens. */
export interface ListenAddress {
  readonly address: string
  readonly family: string
  readonly port: number
}

/** A server made by an adapter's `createSmtpServer`. */
export interface SmtpServer {
  /** Listen on `port` (0 picks a free one) at `host` (default 127.0.0.1). */
  readonly listen: (port: number, host?: string) => Promise<ListenAddress>
  /** Stop accepting, let transactions finish until `deadlineMs` (default 10000), then 421 to everyone. */
  readonly close: (deadlineMs?: number) => Promise<void>
  readonly connections: () => number
  readonly config: ServerConfig
}

/** What `connectSmtp` takes, on every runtime. */
export interface ConnectOptions {
  readonly host: string
  readonly port: number
  /** `starttls` requires STARTTLS (no plaintext fallback); `implicit` is TLS from the first byte. */
  readonly security?: 'none' | 'opportunistic' | 'starttls' | 'implicit'
  /**
   * Session options (`helo`, `auth`, `lmtp`, `pipelining`, timeouts in milliseconds, ...), checked
   * before connecting: a bad one throws `OptionsError` with one line per problem.
   */
  readonly smtp?: SmtpClientSessionOptions
  /** Server name for SNI and certificate checks (default: `host`). */
  readonly servername?: string
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array>
  /** Check the server's certificate (default true). */
  readonly verify?: boolean
  /** Give up connecting after this many milliseconds (default 30000). */
  readonly connectTimeoutMs?: number
  /** A logger shaped like pino's: the session's events go to it (see `ClientSessionOptions.logger`). */
  readonly logger?: Logger
  /** With `logger`: also log each command and reply line, AUTH data redacted (default false). */
  readonly transcript?: boolean
  readonly onError?: (error: unknown) => void
}

/**
 * The options of `startClientSession` that come straight from `connectSmtp`'s: the logger, the
 * transcript, the server's host and port for the events, and `onError`.
 * @example
 * startClientSession(transport, { config: clientConfigOf(options), runtime, ...clientSessionOptionsOf(options) })
 */
export const clientSessionOptionsOf = (
  options: ConnectOptions,
): Pick<ClientSessionOptions, 'logger' | 'transcript' | 'peer' | 'onError'> => ({
  ...(options.logger !== undefined
    ? {
        logger: options.logger,
        transcript: options.transcript === true,
        peer: { host: options.host, port: options.port },
      }
    : {}),
  ...(options.onError !== undefined ? { onError: options.onError } : {}),
})

/** The keys of one options object, for the unknown-key check (made by `optionKeys`). */
export type OptionKeys = t.Mixed

/**
 * The keys an options object may have: `true` for a value whose inside is checked elsewhere or is not
 * options (a function, a logger, a list), or the `OptionKeys` of the object inside it.
 * @example
 * optionKeys({ trusted: true, timeoutMs: true, maxHeaderBytes: true } satisfies Record<keyof ProxyOptions, true>)
 */
export const optionKeys = (table: Readonly<Record<string, true | OptionKeys>>): OptionKeys =>
  t.partial(Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v === true ? t.unknown : v])))

// The `satisfies` clauses hold each table to its interface: a key added to one must be added here.
const tlsFiles = { key: true, cert: true } as const satisfies Record<keyof TlsFiles, true>
const hookKeys = {
  onConnect: true,
  onSecure: true,
  onHello: true,
  onAuth: true,
  onMailFrom: true,
  onRcptTo: true,
  onVrfy: true,
  onExpn: true,
  onMessage: true,
  onClose: true,
} as const satisfies Record<keyof ServerHooks, true>

/**
 * Every key `createSmtpServer` takes on every runtime (`SmtpServerOptions`), with the keys of `hooks` and
 * `tls` (and of each `tls.sni` entry); `smtp` is checked against the core's `ServerOptions`. An adapter
 * with more options (Node's `proxy`, `xclient`) adds its own to these and passes them to `serverConfigOf`.
 */
export const serverOptionKeys = {
  smtp: true,
  hooks: optionKeys(hookKeys),
  logger: true,
  transcript: true,
  tls: optionKeys({
    ...tlsFiles,
    sni: t.record(t.string, optionKeys(tlsFiles)),
    requestCert: true,
    ca: true,
  } satisfies Record<keyof NonNullable<SmtpServerOptions['tls']>, true | OptionKeys>),
  implicitTls: true,
  maxConnections: true,
  maxConnectionsPerAddress: true,
  limitLoopback: true,
  hookTimeoutMs: true,
  tlsHandshakeTimeoutMs: true,
  onError: true,
} as const satisfies Record<keyof SmtpServerOptions, true | OptionKeys>

/** Options only `@smtpure/node` takes, refused elsewhere with a reason. */
const nodeOnly = {
  proxy: ' (only @smtpure/node reads PROXY headers)',
  xclient: ' (only @smtpure/node offers XCLIENT)',
}

/** Keys of other SMTP clients (nodemailer's `secure`, `auth`) and where their meaning lives here. */
const otherClientKeys = {
  tls: ' (TLS is chosen by security: starttls, implicit or opportunistic)',
  secure: ' (TLS from the first byte is security: implicit)',
  auth: ' (credentials go in smtp.auth)',
}

/** Every key `connectSmtp` takes (`ConnectOptions`); `smtp` is checked against the core's `ClientOptions`. */
const connectOptionKeys = optionKeys({
  host: true,
  port: true,
  security: true,
  smtp: true,
  servername: true,
  ca: true,
  verify: true,
  connectTimeoutMs: true,
  logger: true,
  transcript: true,
  onError: true,
} satisfies Record<keyof ConnectOptions, true>)

/**
 * Keys no table names, at any depth (`hoks`, `tls.kye`, `hooks.onMesage`), one line each.
 * @throws OptionsError when the options are not an object at all.
 */
const keyProblems = (
  what: 'server' | 'client',
  codec: t.Mixed,
  options: unknown,
  hints?: Readonly<Record<string, string>>,
): string[] => {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new OptionsError(what, [`(options): expected an object of options, given ${shown(options)}`])
  return unknownKeys(codec, options, '', hints)
}

/** Unknown keys and values of the wrong type under `smtp`, one line each. */
const smtpProblems = (codec: t.Mixed, smtp: unknown, hints?: Readonly<Record<string, string>>): string[] => {
  if (typeof smtp !== 'object' || smtp === null || Array.isArray(smtp))
    return [`smtp: expected an object of session options, given ${shown(smtp)}`]
  return [...unknownKeys(codec, smtp, 'smtp.', hints), ...typeProblems(codec, smtp, 'smtp.')]
}

/** `name: ...` when a given value is not a whole number from `min` to `max`. */
const wholeProblem = (options: object, name: string, min: number, max = Number.MAX_SAFE_INTEGER): string[] => {
  const value: unknown = (options as Record<string, unknown>)[name]
  return value === undefined || (Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max)
    ? []
    : [`${name}: expected a whole number from ${min} to ${max}, given ${shown(value)}`]
}

/** `tls.key` and `tls.cert` must both be PEM, as text or octets. */
const tlsProblems = (tls: unknown): string[] => {
  if (tls === undefined) return []
  if (typeof tls !== 'object' || tls === null) return [`tls: expected { key, cert }, given ${shown(tls, 'tls')}`]
  const pem = (v: unknown): boolean => typeof v === 'string' || v instanceof Uint8Array
  return (['key', 'cert'] as const).flatMap((k) => {
    const v = (tls as Record<string, unknown>)[k]
    return pem(v) ? [] : [`tls.${k}: expected PEM as a string or Uint8Array, given ${shown(v, k)}`]
  })
}

/** `name: ...` when a given value is not `true` or `false` (a truthy `0` or `"no"` would be read the wrong way). */
const flagProblem = (options: object, name: string): string[] => {
  const value: unknown = (options as Record<string, unknown>)[name]
  return value === undefined || typeof value === 'boolean'
    ? []
    : [`${name}: expected true or false, given ${shown(value)}`]
}

/** `name: ...` when a given value is not a function; `path` prefixes the name (`hooks.`). */
const functionProblem = (options: object, name: string, path = ''): string[] => {
  const value: unknown = (options as Record<string, unknown>)[name]
  return value === undefined || typeof value === 'function'
    ? []
    : [`${path}${name}: expected a function, given ${kindOf(value)}`]
}

/** Each hook must be a function: one that is not would answer every client 451, or crash at the first error. */
const hookProblems = (hooks: unknown): string[] => {
  if (hooks === undefined) return []
  if (typeof hooks !== 'object' || hooks === null || Array.isArray(hooks))
    return [`hooks: expected an object of hooks, given ${shown(hooks)}`]
  return Object.keys(hooks).flatMap((name) => functionProblem(hooks, name, 'hooks.'))
}

/** The server's own options beside `smtp` (limits and timeouts in milliseconds), one line per problem. */
const serverProblems = (options: object): string[] => [
  ...tlsProblems((options as { tls?: unknown }).tls),
  ...hookProblems((options as { hooks?: unknown }).hooks),
  ...functionProblem(options, 'onError'),
  ...flagProblem(options, 'implicitTls'),
  // RFC 8314 3.3: implicit TLS is TLS from the first octet; without a certificate it would listen in clear
  ...((options as { implicitTls?: unknown; tls?: unknown }).implicitTls === true &&
  (options as { tls?: unknown }).tls === undefined
    ? ['implicitTls: needs tls (a certificate and key)']
    : []),
  ...flagProblem(options, 'limitLoopback'),
  ...flagProblem(options, 'transcript'),
  ...wholeProblem(options, 'maxConnections', 0),
  ...wholeProblem(options, 'maxConnectionsPerAddress', 0),
  // node:timers takes at most 2^31 - 1 ms
  ...wholeProblem(options, 'hookTimeoutMs', 1, 2 ** 31 - 1),
  ...wholeProblem(options, 'tlsHandshakeTimeoutMs', 1, 2 ** 31 - 1),
]

const securityModes: ReadonlyArray<unknown> = ['none', 'opportunistic', 'starttls', 'implicit']

/**
 * The client's own options beside `smtp`, one line per problem: an unknown `security` would
 * otherwise be taken as `none` and send in clear.
 */
const connectProblems = (options: object): string[] => {
  const o = options as Record<string, unknown>
  return [
    ...(o.security === undefined || securityModes.includes(o.security)
      ? []
      : [`security: expected one of none, opportunistic, starttls, implicit, given ${shown(o.security)}`]),
    ...('host' in o && (typeof o.host !== 'string' || o.host === '')
      ? [`host: expected a host name or address, given ${shown(o.host)}`]
      : []),
    ...('port' in o ? wholeProblem({ port: o.port ?? null }, 'port', 1, 65535) : []),
    ...wholeProblem(o, 'connectTimeoutMs', 1, 2 ** 31 - 1),
    // a `"false"` or `0` from a configuration file would be taken as checking the certificate, silently
    ...flagProblem(o, 'verify'),
    ...flagProblem(o, 'transcript'),
    ...functionProblem(o, 'onError'),
  ]
}

/**
 * The server session's config from the options: STARTTLS is offered when there is a certificate
 * and TLS is not implicit. `keys` are the option keys this adapter takes (default `serverOptionKeys`), and
 * `hints` a reason for keys it refuses that another adapter takes.
 * @throws OptionsError listing every problem (`hoks: unknown option ...`, `smtp.maxMesageSize: unknown option
 * ...`, `hookTimeoutMs: ...`) when the options do not fit.
 */
export const serverConfigOf = (
  options: Pick<SmtpServerOptions, 'smtp' | 'tls' | 'implicitTls'> &
    Partial<
      Pick<SmtpServerOptions, 'maxConnections' | 'maxConnectionsPerAddress' | 'hookTimeoutMs' | 'tlsHandshakeTimeoutMs'>
    >,
  keys: {
    readonly table: Readonly<Record<string, true | OptionKeys>>
    readonly hints?: Readonly<Record<string, string>>
  } = {
    table: serverOptionKeys,
    hints: nodeOnly,
  },
): ServerConfig => {
  const own = keyProblems('server', optionKeys(keys.table), options, keys.hints)
  const smtp: unknown = options.smtp ?? {}
  const problems = [...own, ...serverProblems(options), ...smtpProblems(ServerOptions, smtp, setByHooks)]
  if (problems.length > 0) throw new OptionsError('server', problems)
  const decoded = serverConfig({
    ...(options.tls && !options.implicitTls ? { startTls: true } : {}),
    ...(smtp as object),
  })
  if (decoded._tag === 'Left') throw new OptionsError('server', ruleProblems(decoded.left.errors, smtp, 'smtp.'))
  return decoded.right
}

const setBySecurity = { tls: ' (set by `security`)', implicitTls: ' (set by `security`)' }

// a session asks the greeting, MAIL and RCPT questions of the hooks there are (`startServerSession`)
const setByHooks = { questions: ' (set by `hooks`)' }

/**
 * The client session's config from the options.
 * @throws OptionsError listing every problem when the options do not fit.
 */
export const clientConfigOf = (
  options: Pick<ConnectOptions, 'smtp' | 'security'> &
    Partial<Pick<ConnectOptions, 'host' | 'port' | 'connectTimeoutMs'>>,
): ClientConfig => checkedClientConfig(options, [])

/**
 * `connectSmtp`'s config: `clientConfigOf`, and where to connect must be given, since `host` and `port` have no
 * default (a missing host would otherwise reach the local machine without a word).
 * @throws OptionsError with `host: required ...` or `port: required ...` among the other problems.
 */
export const connectConfigOf = (options: ConnectOptions): ClientConfig => checkedClientConfig(options, ['host', 'port'])

const required: Readonly<Record<'host' | 'port', string>> = {
  host: 'host: required: the name or address of the server',
  port: 'port: required: the port of the server (25, 465 or 587 for instance)',
}

/** The client config, once the options have the keys `needed` and no problem else. */
const checkedClientConfig = (
  options: Parameters<typeof clientConfigOf>[0],
  needed: ReadonlyArray<'host' | 'port'>,
): ClientConfig => {
  const keys = keyProblems('client', connectOptionKeys, options, otherClientKeys) // throws for a non-object
  const missing = needed.filter((k) => options[k] === undefined).map((k) => required[k])
  const own = [...missing, ...keys, ...connectProblems(options)]
  if (own.length > 0) throw new OptionsError('client', own)
  const security = options.security ?? 'none'
  // One decoding per `smtp` object and security mode: a client that opens a connection per message should
  // not pay for io-ts each time (the object is read once; to change the options, pass a new one).
  const given: unknown = options.smtp
  const key = given === undefined ? noSmtpOptions : typeof given === 'object' && given !== null ? given : undefined
  if (key === undefined) return decodeClientConfig(given, security) // not an object: decoding says so
  const known = decodedClientConfigs.get(key)?.get(security)
  if (known !== undefined) return known
  const config = decodeClientConfig(options.smtp, security)
  const bySecurity = decodedClientConfigs.get(key) ?? new Map<string, ClientConfig>()
  bySecurity.set(security, config)
  decodedClientConfigs.set(key, bySecurity)
  return config
}

const decodedClientConfigs = new WeakMap<object, Map<string, ClientConfig>>()

const noSmtpOptions = {}

const decodeClientConfig = (smtpOptions: unknown, security: string): ClientConfig => {
  const given: unknown = smtpOptions ?? {}
  const isObject = typeof given === 'object' && given !== null && !Array.isArray(given)
  const smtp: unknown = isObject ? { helo: 'localhost', ...given } : given
  const problems = smtpProblems(ClientOptions, smtp, setBySecurity)
  if (problems.length > 0) throw new OptionsError('client', problems)
  const decoded = clientConfig({
    ...(smtp as object),
    tls: security === 'starttls' ? 'required' : security === 'opportunistic' ? 'opportunistic' : 'none',
    implicitTls: security === 'implicit',
  })
  if (decoded._tag === 'Left') throw new OptionsError('client', ruleProblems(decoded.left.errors, smtp, 'smtp.'))
  return decoded.right
}

/** The server's hooks, with its logger's events when it has one. */
export const hooksOf = (options: Pick<SmtpServerOptions, 'hooks' | 'logger'>): ServerHooks =>
  options.logger ? loggedHooks(options.hooks ?? {}, options.logger) : (options.hooks ?? {})

/**
 * A new server session's id and the transport it runs on: with the `transcript` option (and a logger),
 * one that writes each line it carries as a `transcript` event under that id (see `transcribed`).
 * The id is drawn here, so that the transcript and the session's other events carry the same one.
 * @example
 * const logged = loggedTransport(options, transport, runtime)
 * startServerSession(logged.transport, { config, hooks, runtime, id: logged.id })
 */
export const loggedTransport = (
  options: Pick<SmtpServerOptions, 'logger' | 'transcript' | 'smtp'>,
  transport: Transport,
  runtime: Runtime,
): { readonly id: string; readonly transport: Transport } => {
  const id = runtime.randomToken()
  const logger = options.logger
  if (logger === undefined || options.transcript !== true) return { id, transport }
  // which BDAT LAST the server refuses once rather than answer per recipient in LMTP (see `ServerFacts`)
  const facts = {
    chunking: options.smtp?.chunking ?? serverDefaults.chunking,
    bareLineEndings: options.smtp?.bareLineEndings ?? serverDefaults.bareLineEndings,
  }
  return { id, transport: transcribed(transport, 'server', transcriptTo(logger, id), undefined, facts) }
}

/** The session defaults, made once: what an option not given is (`loggedTransport`). */
const serverDefaults = defaultServerConfig()

/** The sessions of one server: admission under the cap, and the graceful close. */
export interface SessionPool {
  /**
   * Run a session on a new connection, or write 421 and close it when the server is full. A connection that
   * already `hold`s its slot passes that admission, and the session releases it when it ends.
   */
  readonly admit: (transport: Transport, held?: Admitted) => void
  /**
   * Take a slot for a connection from `address` before its session can start (implicit TLS: from accept, through
   * the handshake). Admitted: the caller passes it to `admit`, or calls its `release` if the connection ends
   * first. Refused: the caller closes the connection.
   */
  readonly hold: (address: string) => Admission
  /** Stop every session (421 between transactions), and at `deadlineMs` stop them at once. */
  readonly close: (deadlineMs: number) => Promise<void>
  readonly size: () => number
}

/**
 * The sessions of a server built on `startServerSession`, as every adapter runs them.
 * @example
 * const pool = sessionPool(options, config, bunRuntime)
 * pool.admit(new BunTransport(socket, role))
 */
export const sessionPool = (options: SmtpServerOptions, config: ServerConfig, runtime: Runtime): SessionPool => {
  const sessions = new Set<ServerSession>()
  const hooks = hooksOf(options)
  const gate = new ConnectionGate(
    {
      maxConnections: options.maxConnections ?? defaultConnectionLimits.maxConnections,
      maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? defaultConnectionLimits.maxConnectionsPerAddress,
      limitLoopback: options.limitLoopback ?? defaultConnectionLimits.limitLoopback,
    },
    config.hostname,
  )
  return {
    size: () => gate.size,
    hold: (address) => gate.admit(address),
    admit: (transport, held) => {
      const admission = held ?? gate.admit(transport.remoteAddress)
      if (admission._tag === 'Refused') {
        // RFC 5321 3.8: a server that cannot serve says 421 and closes
        transport.start({ data: () => undefined, closed: () => undefined })
        transport.write(replyBytes(admission.reply, false))
        transport.close()
        return
      }
      const logged = loggedTransport(options, transport, runtime)
      const session = startServerSession(logged.transport, {
        config,
        hooks,
        runtime,
        id: logged.id,
        ...(options.onError ? { onError: options.onError } : {}),
        ...(options.hookTimeoutMs !== undefined ? { hookTimeoutMs: options.hookTimeoutMs } : {}),
      })
      sessions.add(session)
      void session.done.then(() => {
        sessions.delete(session)
        admission.release()
      })
    },
    close: async (deadlineMs) => {
      for (const s of sessions) s.stop()
      const cancel = runtime.setTimer(deadlineMs, () => {
        for (const s of sessions) s.stop(true)
      })
      await Promise.all([...sessions].map((s) => s.done))
      cancel()
    },
  }
}

// Server session configuration: io-ts codecs that decode untrusted options, fill the RFC-based
// defaults and check the limits the RFCs set (RFC 5321 4.5.3.1, RFC 4954 4, RFC 1870).
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { PathReporter } from 'io-ts/lib/PathReporter.js'
import { domainProblem } from './grammar/domain.js'

/** The SASL mechanisms the server can run (RFC 4954, RFC 4616, RFC 2195, XOAUTH2). */
export const AuthMechanism = t.keyof({ PLAIN: null, LOGIN: null, 'CRAM-MD5': null, XOAUTH2: null })
export type AuthMechanism = t.TypeOf<typeof AuthMechanism>

/**
 * The questions an application may leave to the session: the greeting's (HELO, EHLO, LHLO), MAIL's and RCPT's.
 * The `_tag`s of their `Question`s.
 */
export const OptionalQuestion = t.keyof({ Hello: null, Mail: null, Rcpt: null })
export type OptionalQuestion = t.TypeOf<typeof OptionalQuestion>

/** What to do with a CR or LF that is not part of a CRLF pair (RFC 5321 2.3.8). */
export const BareLineEndings = t.keyof({ reject: null, keep: null })
export type BareLineEndings = t.TypeOf<typeof BareLineEndings>

// Limits are whole numbers; `checkRules` holds them to the RFC minimums.
const LineLimit = t.number
const Count = t.number

const fields = {
  /** The server's name: first word of the greeting and of the EHLO reply (RFC 5321 4.1.1.1, 4.2). */
  hostname: t.string,
  /** Greeting text after `220 ` (RFC 5321 4.2, 4.3.1). */
  greeting: t.string,
  /** Speak LMTP (RFC 2033) instead of SMTP: LHLO, one reply per recipient after the data. */
  lmtp: t.boolean,
  pipelining: t.boolean,
  eightBitMime: t.boolean,
  smtpUtf8: t.boolean,
  enhancedStatusCodes: t.boolean,
  chunking: t.boolean,
  binaryMime: t.boolean,
  dsn: t.boolean,
  /** Offer STARTTLS (RFC 3207); the driver must be able to upgrade the connection. */
  startTls: t.boolean,
  /** Offer REQUIRETLS (RFC 8689) on TLS sessions. */
  requireTlsExtension: t.boolean,
  /** SASL mechanisms to offer; empty turns AUTH off (RFC 4954). */
  authMechanisms: t.readonlyArray(AuthMechanism),
  /** Offer and accept AUTH without TLS (RFC 4954 4 advises against plaintext passwords in clear). */
  allowInsecureAuth: t.boolean,
  /** 530 to all but NOOP, EHLO, STARTTLS and QUIT until TLS is on (RFC 3207 4). */
  requireTls: t.boolean,
  /** 530 to MAIL until AUTH succeeded (RFC 4954 6). */
  requireAuth: t.boolean,
  /**
   * Command line limit in octets with CRLF (RFC 5321 4.5.3.1.4: at least 512). MAIL and RCPT may be longer by
   * what the parameters of the extensions on offer add (SIZE 26, BODY 16, SMTPUTF8 10, DSN 116 and 530 for
   * RCPT, AUTH= 500, REQUIRETLS 11).
   */
  maxLineLength: LineLimit,
  /** AUTH command and response line limit in octets (RFC 4954 4: 12288). */
  maxAuthLineLength: LineLimit,
  /** Text line limit in message data with CRLF, without a stuffing dot (RFC 5321 4.5.3.1.6: 1000); 0 for none. */
  maxTextLineLength: Count,
  /** Recipients per transaction (RFC 5321 4.5.3.1.8: at least 100 must be accepted). */
  maxRecipients: Count,
  /** Message size limit in octets, advertised with SIZE (RFC 1870); 0 for no fixed limit. */
  maxMessageSize: Count,
  /** Refuse SIZE (no limit advertised nor enforced) when false. */
  size: t.boolean,
  /** Erroneous commands before the server says 421 and closes. */
  maxBadCommands: Count,
  /**
   * Pipelined octets held while an application answer is pending before reading pauses (RFC 2920 3.1); the
   * piece that passes it is held whole, and input arriving after the pause past twice it gets 421 and a close.
   */
  maxHeldBytes: Count,
  /**
   * Command deadline in ms (RFC 5321 4.5.3.2.7: 5 minutes): from the last reply until the next command line is
   * complete. Bytes that trickle in do not extend it. During message data it is the length of each rate window.
   */
  idleTimeoutMs: Count,
  /**
   * Minimum message data rate in octets per second: each window of `idleTimeoutMs` during DATA or BDAT must
   * bring at least this rate's worth of octets (and always at least one), or the session ends with 421 4.4.2.
   */
  minDataRate: Count,
  /** Failed AUTH attempts (5yz from the application) per session; the last one is followed by 421 and close. */
  maxAuthFailures: Count,
  /** Each failed AUTH is answered this many ms late (a timer; input waits meanwhile); 0 answers at once. */
  authFailureDelayMs: Count,
  /**
   * Commands that bring no mail (NOOP, RSET, VRFY, EXPN, HELP, a repeated greeting, and MAIL or RCPT that were
   * refused) allowed between accepted messages; past it each one also counts as an error toward
   * `maxBadCommands`, as in Postfix's junk command limit. 0 for no limit.
   */
  maxJunkCommands: Count,
  /**
   * Messages per session, each message delivered or refused counting (at the end of its data, or at a refused
   * BDAT chunk); MAIL after that many gets 421 and the session closes (Exim's default 1000); 0 for none.
   */
  maxMessagesPerSession: Count,
  bareLineEndings: BareLineEndings,
  /**
   * Advertise LIMITS (RFC 9422): RCPTMAX from `maxRecipients` and MAILMAX from `maxMessagesPerSession` (when
   * not 0), so that clients split their transactions to fit rather than meet 452 (RFC 9422 4.1, 4.2).
   */
  limits: t.boolean,
  /** The HELP reply text lines (RFC 5321 4.1.1.8). */
  helpText: t.readonlyArray(t.string),
  /**
   * Which of the greeting, MAIL and RCPT the session puts to the application as questions (default
   * `["Hello", "Mail", "Rcpt"]`).
   * One left out is accepted once the session's own checks pass (syntax, parameters, SIZE, `maxRecipients`,
   * SMTPUTF8, `requireAuth`), at once: no question, no input held, the standard 250 reply. A driver leaves out
   * those it has no hook for. AUTH, VRFY, EXPN and the message are always asked.
   */
  questions: t.readonlyArray(OptionalQuestion),
}

/** Decoded, complete configuration. Build it with `serverConfig`. */
export const ServerConfig = t.exact(t.type(fields))
export type ServerConfig = t.TypeOf<typeof ServerConfig>

/** What a user may pass: any subset of the fields. */
export const ServerOptions = t.exact(t.partial(fields))
export type ServerOptions = t.TypeOf<typeof ServerOptions>

/** The defaults: RFC minimums and maximums, common extensions on, anything needing keys or policy off. */
export const defaultServerConfig = (hostname = 'localhost'): ServerConfig => ({
  hostname,
  greeting: `${hostname} ESMTP`,
  lmtp: false,
  pipelining: true,
  eightBitMime: true,
  smtpUtf8: true,
  enhancedStatusCodes: true,
  chunking: true,
  binaryMime: true,
  dsn: false,
  startTls: false,
  requireTlsExtension: false,
  authMechanisms: [],
  allowInsecureAuth: false,
  requireTls: false,
  requireAuth: false,
  maxLineLength: 512,
  maxAuthLineLength: 12288,
  maxTextLineLength: 1000,
  maxRecipients: 100,
  maxMessageSize: 25 * 1024 * 1024,
  size: true,
  maxBadCommands: 20,
  maxHeldBytes: 64 * 1024,
  idleTimeoutMs: 5 * 60 * 1000,
  minDataRate: 1024,
  maxAuthFailures: 3,
  authFailureDelayMs: 1000,
  maxJunkCommands: 100,
  maxMessagesPerSession: 1000,
  bareLineEndings: 'reject',
  limits: false,
  helpText: ['See RFC 5321'],
  questions: ['Hello', 'Mail', 'Rcpt'],
})

/** A configuration that could not be decoded; `errors` are readable, one per problem. */
export interface ConfigError {
  readonly _tag: 'ConfigError'
  readonly errors: ReadonlyArray<string>
}

const configError = (errors: ReadonlyArray<string>): ConfigError => ({ _tag: 'ConfigError', errors })

/**
 * Does an option of this name hold a secret (a password, a token, a private key) whose value no error may show?
 * Errors end up in logs and terminals, so the test is wide: any name with one of these words in it.
 */
export const isSecretName = (name: string): boolean => /pass|pw|token|secret|key|pfx|cred|phrase/i.test(name)

/**
 * Is `value`, given for the option `name`, one no error may show: a secret's, or what was given for `auth` or
 * `tls` (which hold secrets) in place of an object (`"bob:pw"`, a key passed one level too high)?
 */
export const isSecretOption = (name: string, value: unknown): boolean =>
  isSecretName(name) ||
  ((name === 'auth' || name === 'tls') && (typeof value !== 'object' || value === null || Array.isArray(value)))

/**
 * io-ts decoding errors as `PathReporter` words them, one line each, with the value hidden where it is, or sits
 * inside, a secret option (`Invalid value "(hidden)" supplied to : .../password: string`).
 */
export const reportErrors = (errors: t.Errors): ReadonlyArray<string> =>
  PathReporter.report(E.left(errors.map((e) => (isSecretValue(e) ? { ...e, value: '(hidden)' } : e))))

/** Is the refused value a secret: under a secret's name, or one that `isSecretOption` hides? */
const isSecretValue = (e: t.ValidationError): boolean => {
  // the option names on the path; io-ts adds the branches of intersections and unions as numbers
  const names = e.context.map((c) => c.key).filter((k) => k !== '' && !/^\d+$/.test(k))
  const last = names.at(-1)
  return names.some(isSecretName) || (last !== undefined && isSecretOption(last, e.value))
}

/** A `ConfigError` for what io-ts refused, secrets hidden. */
export const decodingError = (errors: t.Errors): ConfigError => configError(reportErrors(errors))

const checkRules = (c: ServerConfig): E.Either<ConfigError, ServerConfig> => {
  const problems: string[] = []
  // A hostname goes into every reply's first line and every Received field: an ASCII domain name of labels of at
  // most 63 octets and at most 255 octets in all, or an address literal (RFC 5321 4.1.2, 4.1.3, 4.5.3.1.2)
  if (domainProblem(c.hostname, false) !== undefined)
    problems.push('hostname: must be a domain name or an address literal')
  if (c.binaryMime && !c.chunking) problems.push('binaryMime: BINARYMIME needs chunking (RFC 3030 3)')
  const counts = [
    'maxTextLineLength',
    'maxRecipients',
    'maxMessageSize',
    'maxBadCommands',
    'maxHeldBytes',
    'idleTimeoutMs',
    'minDataRate',
    'maxAuthFailures',
    'authFailureDelayMs',
    'maxJunkCommands',
    'maxMessagesPerSession',
  ] as const
  for (const k of counts)
    if (!Number.isSafeInteger(c[k]) || c[k] < 0) problems.push(`${k}: must be a whole number >= 0`)
  // RFC 5321 4.5.3.1.4 and RFC 4954 4: the server must take lines of these lengths.
  if (!Number.isSafeInteger(c.maxLineLength) || c.maxLineLength < 512)
    problems.push('maxLineLength: must be a whole number >= 512')
  if (!Number.isSafeInteger(c.maxAuthLineLength) || c.maxAuthLineLength < Math.max(c.maxLineLength, 512))
    problems.push('maxAuthLineLength: must be a whole number >= maxLineLength')
  // RFC 5321 4.5.3.1.8: at least 100 recipients must be buffered.
  // (one line per option: a negative or fractional count already has its own)
  if (c.maxRecipients === 0) problems.push('maxRecipients: must be at least 1')
  return problems.length === 0 ? E.right(c) : E.left(configError(problems))
}

/**
 * Are enhanced status codes (RFC 2034) on: advertised as ENHANCEDSTATUSCODES and written on replies? With the
 * option, and always in LMTP, which requires them (RFC 2033 5).
 */
export const enhancedCodesOn = (c: ServerConfig): boolean => c.enhancedStatusCodes || c.lmtp

/**
 * Decode user options into a complete configuration, or say what is wrong with them.
 * @example
 * const config = serverConfig({ hostname: 'mx.example.com', maxRecipients: 50 })
 */
export const serverConfig = (options: unknown): E.Either<ConfigError, ServerConfig> =>
  pipe(
    ServerOptions.decode(options ?? {}),
    E.mapLeft(decodingError),
    E.map((o) => {
      const base = defaultServerConfig(o.hostname)
      // RFC 2033 4.1: an LMTP server does not call itself ESMTP, nor send its clients to SMTP alone.
      const lmtp = o.lmtp === true
      const protocol = lmtp
        ? { greeting: `${base.hostname} LMTP`, helpText: ['See RFC 2033 and RFC 5321'] }
        : { greeting: `${base.hostname} ESMTP` }
      return { ...base, ...protocol, ...o } as ServerConfig
    }),
    E.flatMap((c) => pipe(ServerConfig.decode(c), E.mapLeft(decodingError))),
    E.flatMap(checkRules),
  )

// `smtpure send`: submit one message, print one line per recipient and one for the message, and
// exit as sendmail does (sysexits): 0 all accepted, 75 try again later, 69 refused, 65 the message
// refused, 76 the server broke the protocol, 77 the credentials refused, 64 bad usage. Every failure
// is one plain line; `--log-format` writes the session's events on stderr, `--verbose` its transcript.
import { readFileSync } from 'node:fs'
import { type ClientError, type Reply, mechanisms, parseMailbox, parseMechanism } from '@smtpure/core'
import type { Mechanism } from '@smtpure/core'
import { SmtpClientError, type SentMessage, replyLine } from '@smtpure/driver'
import type { ConnectSmtp } from './client.js'
import { lineLogger, logFormat } from './log.js'
import { stderr, stdout } from './output.js'
import {
  EX_DATAERR,
  EX_NOPERM,
  EX_OK,
  EX_PROTOCOL,
  EX_TEMPFAIL,
  EX_UNAVAILABLE,
  InputError,
  UsageError,
  hostPort,
  oneLine,
  parseFlags,
  readSmallFile,
} from './usage.js'

export const sendHelp = `Usage: smtpure send --from ADDR --to ADDR [--to ADDR ...] [options] [FILE | -]

Submit one message (read from FILE, or from standard input) to an SMTP or LMTP server.

Options:
  --server HOST:PORT    the server (default 127.0.0.1:2525)
  --from ADDR           the sender; --from '' is the null reverse path <>
  --to ADDR             a recipient (repeatable)
  --helo NAME           the name to greet with (default localhost)
  --starttls            require STARTTLS: never send in clear
  --tls                 TLS from the first byte (implicit TLS, port 465)
  --tls-insecure        do not check the server's certificate
  --ca FILE             also trust the CA certificates in FILE (PEM)
  --user NAME:PASSWORD  authenticate (AUTH; only over TLS unless --allow-insecure-auth)
  --auth-mech LIST      AUTH mechanisms to use, comma-separated (PLAIN,LOGIN,CRAM-MD5); a name
                        with a leading - is left out of the default set (--auth-mech=-CRAM-MD5)
  --allow-insecure-auth send credentials without TLS (only for test servers on loopback)
  --lmtp                speak LMTP
  --log-format FORMAT   log the session's events on stderr: text (one line each) or json
                        (one object per line, as pino writes); off when not given
  --verbose             with --log-format, also log each command and reply line (AUTH data
                        redacted, message content as its size only)
  -h, --help            show this help
  --version             print the version

Prints one line per recipient (<addr> <code> <enhanced code> <text>), then the message's result;
a failure of the session is one line on stderr. A reply of several lines is shown as its first
line and "(N more lines)".
Exit status:
  0   every recipient accepted
  64  bad usage (a flag, an address)
  65  the server refused the message itself with 5yz after its data (the envelope could not be sent)
  66  the message file or the --ca file cannot be read (or holds no certificate)
  69  refused with 5yz before the data (greeting, EHLO, STARTTLS, AUTH itself, sender, recipients),
      or the server lacks what is needed (STARTTLS with --starttls, AUTH with --user, an extension
      the message needs), or TLS failed
  75  a temporary failure: a 4yz reply, no connection, a lost connection, no reply in time
  76  the server broke the protocol (a reply that is not one, or out of place)
  77  the server refused the credentials of --user with 5yz (535, 534, 538, any 5.7.x)

Examples:
  smtpure send --from bob@example.org --to alice@example.com message.eml
  printf 'Subject: hi\\r\\n\\r\\nHello\\r\\n' | smtpure send --from '' --to alice@example.com -
  smtpure send --server mail.example.com:587 --starttls --user bob:secret --from bob@example.org --to alice@example.com msg.eml
`

const options = {
  server: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string', multiple: true },
  helo: { type: 'string' },
  starttls: { type: 'boolean' },
  tls: { type: 'boolean' },
  'tls-insecure': { type: 'boolean' },
  ca: { type: 'string' },
  user: { type: 'string' },
  'auth-mech': { type: 'string', multiple: true },
  'allow-insecure-auth': { type: 'boolean' },
  lmtp: { type: 'boolean' },
  'log-format': { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const

const parseServer = (text: string): { host: string; port: number } => {
  const m = /^(\[[^\]]+\]|[^:]+):([0-9]{1,5})$/.exec(text)
  if (m === null) throw new UsageError(`--server needs HOST:PORT, got ${JSON.stringify(text)}`)
  if (Number(m[2]) < 1 || Number(m[2]) > 65535)
    throw new UsageError(`--server: the port must be a whole number from 1 to 65535, given ${m[2]}`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) }
}

const replyText = (r: Reply | undefined): string => (r === undefined ? '' : replyLine(r))

/** What the command knows of the session, to say where and why. */
interface Context {
  /** `host:port`, an IPv6 address in brackets. */
  readonly server: string
  readonly user: string | undefined
  /** The session speaks LMTP: its greeting is LHLO (RFC 2033 4.1). */
  readonly lmtp?: boolean
}

const is5yz = (r: Reply): boolean => r.code >= 500 && r.code < 600

/** `refused` when the reply is 5yz, else try again later (RFC 5321 4.2.1: only 5yz is permanent). */
const permanentOr = (r: Reply, refused: number): number => (is5yz(r) ? refused : EX_TEMPFAIL)

/** A TLS handshake that failed in the driver: its reason, or undefined for any other failure. */
const tlsFailure = (e: ClientError): string | undefined =>
  e._tag === 'ProtocolError' && e.reason.startsWith('TLS handshake failed: ')
    ? e.reason.slice('TLS handshake failed: '.length)
    : undefined

/** A certificate the client did not accept (Node's and OpenSSL's words for it). */
const certificateProblem = (text: string): boolean => /certificate|CERT_|self[- ]signed|altname|issuer/i.test(text)

const tlsText = (server: string, reason: string): string =>
  `TLS with the server at ${server} failed: ${oneLine(reason)}${
    certificateProblem(reason)
      ? // Deno has no way to skip the check, and the command refuses --tls-insecure there (docs/deno.md)
        ` (--ca adds a trusted CA${'Deno' in globalThis ? '' : '; --tls-insecure skips the check'})`
      : ''
  }`

/**
 * A refusal of AUTH that judged the credentials (RFC 4954 6: 535 5.7.8 invalid, 534 5.7.9 mechanism too weak,
 * 538 5.7.11 encryption required, 454 4.7.0 and 432 4.7.12 for now, or any x.7.x: security and policy), not
 * one that refused the command itself (502, 504).
 */
const judgesCredentials = (r: Reply): boolean =>
  [432, 454, 534, 535, 538].includes(r.code) || /^\d\.7\./.test(r.enhanced ?? '')

/**
 * A session-level failure as one plain line and its exit code. Only a 5yz reply from the server makes a
 * refusal permanent (RFC 5321 4.2.1); timeouts and lost connections may go better next time (75); a server
 * that breaks the protocol is 76; refused credentials 77; what the server lacks and we need is 69.
 */
export const failure = (e: ClientError, at: Context): { readonly text: string; readonly code: number } => {
  const server = `the server at ${at.server}`
  const tls = tlsFailure(e)
  if (tls !== undefined) return { text: tlsText(at.server, tls), code: EX_UNAVAILABLE }
  switch (e._tag) {
    case 'GreetingRefused':
      return {
        text: `${server} refused the connection: ${replyText(e.reply)}`,
        code: permanentOr(e.reply, EX_UNAVAILABLE),
      }
    case 'HelloRefused':
      return {
        text: `${server} refused our ${at.lmtp === true ? 'LHLO' : 'EHLO/HELO'}: ${replyText(e.reply)}`,
        code: permanentOr(e.reply, EX_UNAVAILABLE),
      }
    case 'TlsRequired':
      return { text: `${server} offers no STARTTLS and --starttls requires it`, code: EX_UNAVAILABLE }
    case 'TlsRefused':
      return { text: `${server} refused STARTTLS: ${replyText(e.reply)}`, code: permanentOr(e.reply, EX_UNAVAILABLE) }
    case 'AuthUnavailable':
      return { text: `cannot authenticate to ${server}: ${e.reason}`, code: EX_UNAVAILABLE }
    case 'AuthFailed':
      return judgesCredentials(e.reply)
        ? {
            text: `${server} refused the credentials${at.user === undefined ? '' : ` of ${at.user}`}: ${replyText(e.reply)}`,
            code: permanentOr(e.reply, EX_NOPERM),
          }
        : { text: `${server} refused AUTH: ${replyText(e.reply)}`, code: permanentOr(e.reply, EX_UNAVAILABLE) }
    case 'ServiceClosing':
      return { text: `${server} closed the session: ${replyText(e.reply)}`, code: EX_TEMPFAIL }
    case 'Timeout':
      return { text: `${server} did not answer in time (waiting for ${e.waitingFor})`, code: EX_TEMPFAIL }
    case 'ConnectionLost':
      return { text: `the connection to ${server} was lost`, code: EX_TEMPFAIL }
    case 'ProtocolError':
      return {
        text: `${server} broke the protocol: ${e.reason}${e.reply === undefined ? '' : ` (${replyText(e.reply)})`}`,
        code: EX_PROTOCOL,
      }
    case 'InvalidEnvelope':
      return { text: `the envelope cannot be sent: ${e.reason}`, code: EX_DATAERR }
    case 'Unsupported':
      return {
        text:
          e.extension === 'SIZE'
            ? `${server} takes no message this large: ${e.reason}`
            : // the core's plainest reason says only what the first words say already
              `${server} lacks ${e.extension}, which this message needs${
                e.reason === `the server does not offer ${e.extension}` ? '' : `: ${e.reason}`
              }`,
        code: EX_UNAVAILABLE,
      }
  }
}

/** Node's error codes for a connection that could not be made, in words. */
const connectWords: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be looked up now',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timed out',
}

/**
 * A TLS library's words for a failed handshake: OpenSSL's (Node, Bun), rustls's (Deno, where a plain server's reply
 * is a "corrupt message").
 */
const tlsLibraryWords =
  /SSL routines|received corrupt message|peer is incompatible|peer sent no certificates|AlertReceived/

/** Why a connection could not be made, as one line and an exit code (a TLS failure is 69, the rest 75). */
export const connectFailure = (e: unknown, at: Context, implicitTls: boolean): { text: string; code: number } => {
  const message = oneLine(e instanceof Error ? e.message : String(e))
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : ''
  // with implicit TLS a handshake failure is the connection's: Node names it ERR_SSL_..., Bun EPROTO with the TLS
  // library's words, Deno gives rustls's words and no code
  if (
    implicitTls &&
    (certificateProblem(`${code} ${message}`) || /SSL|TLS|^EPROTO$/.test(code) || tlsLibraryWords.test(message))
  )
    return { text: tlsText(at.server, message), code: EX_UNAVAILABLE }
  const words = connectWords[code]
  return {
    text: `cannot connect to the server at ${at.server}: ${words === undefined ? message : `${words} (${code})`}`,
    code: EX_TEMPFAIL,
  }
}

/**
 * `--auth-mech` values: names to use, or names with a leading `-` to leave out of the default set;
 * commas separate names within one value.
 */
const authMechanisms = (values: ReadonlyArray<string>): ReadonlyArray<Mechanism> => {
  const names = values.flatMap((v) => v.split(',')).map((n) => n.trim())
  const parse = (name: string): Mechanism => {
    const m = parseMechanism(name)
    if (m === undefined) throw new UsageError(`--auth-mech: unknown mechanism ${JSON.stringify(name)}`)
    return m
  }
  const excluded = names.filter((n) => n.startsWith('-')).map((n) => parse(n.slice(1)))
  const chosen = names.filter((n) => n !== '' && !n.startsWith('-')).map(parse)
  const result = (chosen.length > 0 ? chosen : mechanisms).filter((m) => !excluded.includes(m))
  if (result.length === 0) throw new UsageError('--auth-mech leaves no mechanism to use')
  return result
}

const readMessage = async (file: string | undefined): Promise<Uint8Array> => {
  if (file !== undefined && file !== '-')
    try {
      return readFileSync(file)
    } catch (e) {
      throw new InputError(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`)
    }
  const parts: Buffer[] = []
  for await (const chunk of process.stdin) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

/**
 * Exit code from the results: a permanent refusal beats a temporary one, unknown counts as temporary.
 * A 5yz to the message's data is 65 (the message itself refused), any other 5yz 69; a transaction that
 * ended in a failure of the session takes that failure's code (a broken protocol is 76).
 */
const exitCode = (r: SentMessage): number => {
  const statuses = [r.status, ...r.recipients.map((x) => x.status)]
  const failed = r.error === undefined ? undefined : failure(r.error, { server: '', user: undefined }).code
  if (statuses.includes('permanent')) {
    if (r.error?._tag === 'Unsupported' || r.error?._tag === 'InvalidEnvelope') return failed!
    // the data refused: SMTP's one reply to it, or in LMTP any recipient's own (RFC 2033 4.2)
    const dataRefused =
      (r.dataSent && r.reply !== undefined && is5yz(r.reply)) ||
      r.recipients.some((x) => x.afterData && x.status === 'permanent')
    return dataRefused ? EX_DATAERR : EX_UNAVAILABLE
  }
  if (statuses.includes('temporary') || statuses.includes('unknown')) return failed ?? EX_TEMPFAIL
  return EX_OK
}

/** A usage error naming the flag unless `text` is a mailbox (RFC 5321 4.1.2; UTF-8 as RFC 6531 allows). */
const checkAddress = (flag: string, text: string): void => {
  const parsed = parseMailbox(text)
  if (parsed._tag === 'Left')
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a mailbox: ${parsed.left.text}`)
}

/**
 * `smtpure send` with the arguments after `send`; resolves to its exit code. `loadClient` gives the runtime's
 * client (client.ts), asked for once the message is read.
 */
export const send = async (argv: ReadonlyArray<string>, loadClient: () => Promise<ConnectSmtp>): Promise<number> => {
  const { values: v, positionals } = parseFlags(argv, options, true)
  if (v.help) {
    stdout(sendHelp)
    return EX_OK
  }
  if (v.version) {
    stdout(`smtpure ${(await import('./log.js')).version()}\n`)
    return EX_OK
  }
  if (v.from === undefined) throw new UsageError('--from is required (use --from "" for the null reverse path)')
  if (v.to === undefined || v.to.length === 0) throw new UsageError('at least one --to is required')
  if (v.starttls && v.tls) throw new UsageError('--starttls and --tls exclude each other')
  if (positionals.length > 1) throw new UsageError('give one message FILE (or - for standard input)')
  const format = logFormat(v['log-format'])
  if (v.verbose && format === undefined) throw new UsageError('--verbose needs --log-format text or json')
  // the addresses are checked with the session's own grammar before anything connects
  if (v.from !== '') checkAddress('--from', v.from)
  for (const to of v.to) if (to.toLowerCase() !== 'postmaster') checkAddress('--to', to) // RFC 5321 4.1.1.3
  const { host, port } = parseServer(v.server ?? '127.0.0.1:2525')
  let auth: { username: string; password: string; mechanisms?: ReadonlyArray<Mechanism> } | undefined
  if (v.user !== undefined) {
    const colon = v.user.indexOf(':')
    if (colon < 1)
      throw new UsageError('--user needs NAME:PASSWORD (what was given is not shown: it may hold a password)')
    auth = { username: v.user.slice(0, colon), password: v.user.slice(colon + 1) }
    if (v['auth-mech'] !== undefined) auth.mechanisms = authMechanisms(v['auth-mech'])
  } else if (v['auth-mech'] !== undefined) throw new UsageError('--auth-mech needs --user')
  let ca: Buffer | undefined
  // a CA checks a certificate only a TLS connection has: without TLS it would be ignored, and the mail go in clear
  if (v.ca !== undefined && !v.starttls && !v.tls) throw new UsageError('--ca needs --starttls or --tls')
  if (v['tls-insecure'] === true && !v.starttls && !v.tls)
    throw new UsageError('--tls-insecure needs --starttls or --tls')
  if (v.ca !== undefined) {
    try {
      ca = readSmallFile(v.ca)
    } catch (e) {
      throw new InputError(`cannot read ${v.ca}: ${e instanceof Error ? e.message : String(e)}`)
    }
    // a file with no certificate would add none, silently, and the check would then fail for want of it
    if (!ca.includes('-----BEGIN CERTIFICATE-----'))
      throw new InputError(`--ca: ${v.ca} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`)
  }
  const message = await readMessage(positionals[0])

  const connectSmtp = await loadClient()
  const at: Context = {
    server: hostPort(host, port),
    user: auth?.username,
    lmtp: v.lmtp === true,
  }
  const logger = format && lineLogger(format, v.verbose === true, (line) => stderr(`${line}\n`))
  let session
  try {
    session = await connectSmtp({
      host,
      port,
      security: v.tls ? 'implicit' : v.starttls ? 'starttls' : 'none',
      verify: v['tls-insecure'] !== true,
      ...(ca !== undefined ? { ca } : {}),
      ...(logger ? { logger, transcript: v.verbose === true } : {}),
      smtp: {
        helo: v.helo ?? 'localhost',
        lmtp: v.lmtp === true,
        // the safe default stays: credentials go in clear only when asked for (RFC 4954 4)
        allowInsecureAuth: v['allow-insecure-auth'] === true,
        ...(auth ? { auth } : {}),
      },
    })
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    // the options were built from flags: each problem is told by the flag it came from
    if (msg.startsWith('invalid client options')) throw new UsageError(msg.split('\n').slice(1).map(byFlag).join('; '))
    const f = connectFailure(e, at, v.tls === true)
    stderr(`smtpure send: ${f.text}\n`)
    return f.code
  }
  try {
    await session.ready
    const result = await session.send({ envelope: { from: v.from === '' ? null : v.from, to: v.to }, body: message })
    for (const r of result.recipients) stdout(`${r.address} ${replyText(r.reply) || r.status}\n`)
    // LMTP answers per recipient: when the connection ends between those answers, the message as a whole is
    // not accepted, whatever the first answers said
    const status =
      result.status === 'accepted' && result.recipients.some((r) => r.status === 'unknown') ? 'unknown' : result.status
    if (result.error !== undefined) stdout(`message ${status}: ${failure(result.error, at).text}\n`)
    else if (result.status === 'unknown')
      stdout('message unknown: the connection ended after the data; it may have been delivered\n')
    else if (result.reply !== undefined) stdout(`message ${result.status}: ${replyText(result.reply)}\n`)
    else {
      // no reply of its own: every recipient was refused, or LMTP answered per recipient (above)
      const accepted = result.recipients.filter((r) => r.status === 'accepted').length
      stdout(`message ${result.status}: ${accepted} of ${result.recipients.length} recipients accepted\n`)
    }
    await session.quit().catch(() => undefined)
    return exitCode(result)
  } catch (e) {
    if (!(e instanceof SmtpClientError)) throw e
    const f = failure(e.error, at)
    stderr(`smtpure send: ${f.text}\n`)
    // the close event is logged before the command exits, unless the server is slow to answer QUIT
    if (logger) await Promise.race([session.closed, new Promise((r) => setTimeout(r, 2000).unref())])
    return f.code
  }
}

/** A client option's problem, told by the flag it came from (`smtp.helo: ...` is `--helo: ...`). */
const byFlag = (problem: string): string =>
  problem
    .replace(/^verify: false/, '--tls-insecure')
    .replace(/^(smtp\.helo|host|port|ca|smtp\.auth(?:\.\w+)?):/, (_, path: string) => `${flagOf(path)}:`)

/** The flag that sets a client option. */
const flagOf = (path: string): string =>
  path.startsWith('smtp.auth')
    ? '--user'
    : (({ 'smtp.helo': '--helo', ca: '--ca' } as Record<string, string>)[path] ?? '--server')

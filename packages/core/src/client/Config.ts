// Client session configuration: io-ts codecs that decode untrusted options and fill the defaults, the
// timeouts of RFC 5321 4.5.3.2 among them, and check what the RFCs require of them (our name is a domain or
// an address literal, RFC 5321 4.1.1.1; LMTP greets with LHLO only, RFC 2033 4.1).
import * as E from 'fp-ts/lib/Either.js'
import { pipe } from 'fp-ts/lib/function.js'
import * as t from 'io-ts'
import { AuthMechanism, type ConfigError, decodingError } from '../Config.js'
import { parseDomainArg } from '../grammar/index.js'
import { mechanisms, secretProblem } from '../sasl/index.js'

/** STARTTLS policy (RFC 3207): never, when offered, or always (no mail in clear). */
export const TlsPolicy = t.keyof({ none: null, opportunistic: null, required: null })
export type TlsPolicy = t.TypeOf<typeof TlsPolicy>

const credentialFields = { password: t.string, token: t.string, authzid: t.string }

/** Credentials for AUTH (RFC 4954) and the mechanisms they may be used with. */
export const ClientAuth = t.intersection([
  t.type({ username: t.string, mechanisms: t.readonlyArray(AuthMechanism) }),
  t.partial(credentialFields),
])
export type ClientAuth = t.TypeOf<typeof ClientAuth>

/** What a user may pass for AUTH: `mechanisms` defaults to all four. */
export const ClientAuthOptions = t.intersection([
  t.type({ username: t.string }),
  t.partial({ ...credentialFields, mechanisms: t.readonlyArray(AuthMechanism) }),
])
export type ClientAuthOptions = t.TypeOf<typeof ClientAuthOptions>

/**
 * What a proxy built on this client knows about its own client, passed on with XCLIENT when the server
 * offers it (Postfix's XCLIENT_README). Only the attributes the server lists are sent.
 */
export const ClientXclient = t.exact(
  t.partial({
    /** The client's IPv4 or IPv6 address (IPv6 is sent with the `IPV6:` prefix). */
    address: t.string,
    port: t.number,
    /** The client's host name from reverse DNS. */
    name: t.string,
    helo: t.string,
    proto: t.keyof({ SMTP: null, ESMTP: null }),
    login: t.string,
    destAddress: t.string,
    destPort: t.number,
  }),
)
export type ClientXclient = t.TypeOf<typeof ClientXclient>

const timeoutFields = {
  /** Waiting for the 220 greeting (RFC 5321 4.5.3.2.1: 5 minutes). */
  greeting: t.number,
  /** Waiting for the reply to EHLO, HELO or LHLO (5 minutes, as for other commands). */
  hello: t.number,
  /** Waiting for the reply to MAIL (RFC 5321 4.5.3.2.2: 5 minutes). */
  mail: t.number,
  /** Waiting for the reply to each RCPT (RFC 5321 4.5.3.2.3: 5 minutes). */
  rcpt: t.number,
  /** Waiting for the 354 to DATA (RFC 5321 4.5.3.2.4: 2 minutes). */
  dataInit: t.number,
  /** Per block of message data, and per BDAT reply (RFC 5321 4.5.3.2.5: 3 minutes). */
  dataBlock: t.number,
  /** Waiting for the reply after the final dot or BDAT LAST (RFC 5321 4.5.3.2.6: 10 minutes). */
  dataEnd: t.number,
  /** STARTTLS, the TLS handshake, AUTH and RSET (5 minutes). */
  command: t.number,
  /**
   * Waiting for the reply to QUIT (5 seconds). Every result is final by then, so the reply cannot change
   * anything; RFC 5321 4.1.1.10 only asks the client to send QUIT.
   */
  quit: t.number,
}

/** Per-phase timeouts in milliseconds. */
export const ClientTimeouts = t.type(timeoutFields)
export type ClientTimeouts = t.TypeOf<typeof ClientTimeouts>

const minutes = (n: number): number => n * 60 * 1000

/** RFC 5321 4.5.3.2 minimum per-command timeouts. */
export const defaultClientTimeouts: ClientTimeouts = {
  greeting: minutes(5),
  hello: minutes(5),
  mail: minutes(5),
  rcpt: minutes(5),
  dataInit: minutes(2),
  dataBlock: minutes(3),
  dataEnd: minutes(10),
  command: minutes(5),
  quit: 5000,
}

const fields = {
  /** Our name in EHLO/HELO/LHLO: a domain or an address literal (RFC 5321 4.1.1.1, 2.3.5). */
  helo: t.string,
  /** Greet with EHLO (default) or plain HELO (no extensions at all). */
  ehlo: t.boolean,
  /** Speak LMTP (RFC 2033): LHLO, and one reply per accepted recipient after the data. */
  lmtp: t.boolean,
  tls: TlsPolicy,
  /** The connection is TLS from its first byte (RFC 8314 3.3, port 465): never send STARTTLS. */
  implicitTls: t.boolean,
  /** Never send AUTH without TLS unless this is true (RFC 4954 4 warns about passwords in clear). */
  allowInsecureAuth: t.boolean,
  /** Use PIPELINING (RFC 2920) when the server offers it. */
  pipelining: t.boolean,
  /** Use BDAT (RFC 3030 2) when the server offers CHUNKING. */
  chunking: t.boolean,
  /** Allow BODY=BINARYMIME (RFC 3030 3) when the server offers it. */
  binaryMime: t.boolean,
  /**
   * Relay DSN requests as RFC 3461 5.2.2 asks of an MTA: to a server that does not offer DSN, send the message
   * without ENVID, RET, NOTIFY and ORCPT, and mark its result `dsnOmitted` (the relay then issues the "relayed"
   * and "failed" DSNs itself). Off (default): such a message is refused as `Unsupported`, as a submission client
   * whose user asked for DSN should.
   */
  relayDsn: t.boolean,
  /** Longest reply line in octets; a longer one is a protocol error (RFC 5321 4.5.3.1.5 sets 512). */
  maxReplyLine: t.number,
  /** Most lines in one reply. */
  maxReplyLines: t.number,
}

/** Decoded, complete configuration. Build it with `clientConfig`. */
export const ClientConfig = t.exact(
  t.intersection([
    t.type({ ...fields, auth: t.union([ClientAuth, t.undefined]), timeouts: ClientTimeouts }),
    t.partial({ xclient: ClientXclient }),
  ]),
)
export type ClientConfig = t.TypeOf<typeof ClientConfig>

/** What a user may pass: `helo` and any subset of the rest. */
export const ClientOptions = t.exact(
  t.intersection([
    t.type({ helo: t.string }),
    t.partial({
      ...fields,
      auth: ClientAuthOptions,
      timeouts: t.exact(t.partial(timeoutFields)),
      xclient: ClientXclient,
    }),
  ]),
)
export type ClientOptions = t.TypeOf<typeof ClientOptions>

const defaults = {
  ehlo: true,
  lmtp: false,
  tls: 'opportunistic' as TlsPolicy,
  implicitTls: false,
  allowInsecureAuth: false,
  pipelining: true,
  chunking: true,
  binaryMime: true,
  relayDsn: false,
  maxReplyLine: 2048,
  maxReplyLines: 200,
}

const configError = (errors: ReadonlyArray<string>): ConfigError => ({ _tag: 'ConfigError', errors })

const checkRules = (c: ClientConfig): E.Either<ConfigError, ClientConfig> => {
  const problems: string[] = []
  const helo = parseDomainArg(c.helo)
  if (E.isLeft(helo) || helo.right !== c.helo) problems.push('helo: must be a domain name or an address literal')
  if (c.lmtp && !c.ehlo) problems.push('ehlo: LMTP greets with LHLO only (RFC 2033 4.1)')
  if (!c.ehlo && c.tls === 'required' && !c.implicitTls) problems.push('tls: STARTTLS needs EHLO (RFC 3207 4)')
  if (!c.ehlo && c.auth !== undefined) problems.push('auth: AUTH needs EHLO (RFC 4954 3)')
  for (const [k, v] of Object.entries(c.timeouts))
    if (!Number.isSafeInteger(v) || v <= 0) problems.push(`timeouts.${k}: must be a whole number > 0`)
  // RFC 5321 4.5.3.1.5: a client must take reply lines of 512 octets.
  if (!Number.isSafeInteger(c.maxReplyLine) || c.maxReplyLine < 512)
    problems.push('maxReplyLine: must be a whole number >= 512')
  if (!Number.isSafeInteger(c.maxReplyLines) || c.maxReplyLines < 1)
    problems.push('maxReplyLines: must be a whole number >= 1')
  const a = c.auth
  if (a !== undefined) {
    if (a.mechanisms.length === 0) problems.push('auth.mechanisms: must not be empty')
    else if (a.mechanisms.every((m) => secretProblem(m, a) !== undefined))
      problems.push(`auth: no allowed mechanism can use these credentials (${secretProblem(a.mechanisms[0]!, a)})`)
  }
  return problems.length === 0 ? E.right(c) : E.left(configError(problems))
}

/**
 * Decode user options into a complete configuration, or say what is wrong with them.
 * @example
 * const config = clientConfig({ helo: 'client.example.org', tls: 'required' })
 */
export const clientConfig = (options: unknown): E.Either<ConfigError, ClientConfig> =>
  pipe(
    ClientOptions.decode(options),
    E.mapLeft(decodingError),
    E.map((o): ClientConfig => ({
      ...defaults,
      ...o,
      auth: o.auth === undefined ? undefined : { mechanisms, ...o.auth },
      timeouts: { ...defaultClientTimeouts, ...o.timeouts },
    })),
    // Decoding again catches options given as undefined, which the spread above let through.
    E.flatMap((c) => pipe(ClientConfig.decode(c), E.mapLeft(decodingError))),
    E.flatMap(checkRules),
  )

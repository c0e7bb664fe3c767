// `smtpure send`: submit one message, print one line per recipient and one for the message, and
// exit as sendmail does (sysexits): 0 all accepted, 75 try again later, 69 refused, 64 bad usage.
import { readFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import {
  type ClientError,
  type MessageResult,
  type Reply,
  mechanisms,
  parseMailbox,
  parseMechanism,
} from '@smtpure/core'
import type { Mechanism } from '@smtpure/core'
import { SmtpClientError, describeClientError } from '@smtpure/driver'
import { loadClient } from './adapter.js'
import { EX_OK, EX_TEMPFAIL, EX_UNAVAILABLE, InputError, UsageError } from './usage.js'

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
  -h, --help            show this help
  --version             print the version

Prints one line per recipient (<addr> <code> <enhanced code> <text>), then the message's result.
Exit status: 0 all accepted, 75 a temporary failure, 69 a permanent failure or a refusal before
sending, 64 bad usage, 66 the message file cannot be read. Only a 5yz reply from the server is a
permanent failure; timeouts, lost connections and replies that make no sense are temporary.

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
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const

const parseServer = (text: string): { host: string; port: number } => {
  const m = /^(\[[^\]]+\]|[^:]+):([0-9]{1,5})$/.exec(text)
  if (m === null || Number(m[2]) > 65535) throw new UsageError(`--server needs HOST:PORT, got ${JSON.stringify(text)}`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) }
}

const replyText = (r: Reply | undefined): string =>
  r === undefined
    ? ''
    : [String(r.code), r.enhanced, r.lines.join(' ')].filter((x) => x !== undefined && x !== '').join(' ')

/**
 * A session-level failure. Only a 5yz reply from the server makes it permanent (RFC 5321 4.2.1): a
 * reply that makes no sense, a timeout or a lost connection may go better next time. What we refuse
 * to do ourselves (a bad envelope, no TLS or AUTH as asked) would happen again, so it is 69 too.
 */
const failureCode = (e: ClientError): number => {
  switch (e._tag) {
    case 'ProtocolError':
    case 'Timeout':
    case 'ConnectionLost':
    case 'ServiceClosing':
      return EX_TEMPFAIL
    case 'GreetingRefused':
    case 'HelloRefused':
    case 'TlsRefused':
    case 'AuthFailed':
      return e.reply.code >= 500 && e.reply.code < 600 ? EX_UNAVAILABLE : EX_TEMPFAIL
    case 'InvalidEnvelope':
    case 'Unsupported':
    case 'TlsRequired':
    case 'AuthUnavailable':
      return EX_UNAVAILABLE
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
    return readFile(file).catch((e: unknown) => {
      throw new InputError(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`)
    })
  const parts: Buffer[] = []
  for await (const chunk of process.stdin) parts.push(chunk as Buffer)
  return Buffer.concat(parts)
}

/** Exit code from the results: permanent beats temporary, unknown counts as temporary. */
const exitCode = (r: MessageResult): number => {
  const statuses = [r.status, ...r.recipients.map((x) => x.status)]
  if (statuses.includes('permanent')) return EX_UNAVAILABLE
  if (statuses.includes('temporary') || statuses.includes('unknown')) return EX_TEMPFAIL
  return EX_OK
}

/** A usage error naming the flag unless `text` is a mailbox (RFC 5321 4.1.2; UTF-8 as RFC 6531 allows). */
const checkAddress = (flag: string, text: string): void => {
  const parsed = parseMailbox(text)
  if (parsed._tag === 'Left')
    throw new UsageError(`${flag} ${JSON.stringify(text)} is not a mailbox: ${parsed.left.text}`)
}

export const send = async (argv: ReadonlyArray<string>): Promise<number> => {
  const { values: v, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
  if (v.help) {
    process.stdout.write(sendHelp)
    return EX_OK
  }
  if (v.version) {
    process.stdout.write(`smtpure ${(await import('./log.js')).version()}\n`)
    return EX_OK
  }
  if (v.from === undefined) throw new UsageError('--from is required (use --from "" for the null reverse path)')
  if (v.to === undefined || v.to.length === 0) throw new UsageError('at least one --to is required')
  if (v.starttls && v.tls) throw new UsageError('--starttls and --tls exclude each other')
  if (positionals.length > 1) throw new UsageError('give one message FILE (or - for standard input)')
  // the addresses are checked with the session's own grammar before anything connects
  if (v.from !== '') checkAddress('--from', v.from)
  for (const to of v.to) if (to.toLowerCase() !== 'postmaster') checkAddress('--to', to) // RFC 5321 4.1.1.3
  const { host, port } = parseServer(v.server ?? '127.0.0.1:2525')
  let auth: { username: string; password: string; mechanisms?: ReadonlyArray<Mechanism> } | undefined
  if (v.user !== undefined) {
    const colon = v.user.indexOf(':')
    if (colon < 1) throw new UsageError(`--user needs NAME:PASSWORD, got ${JSON.stringify(v.user)}`)
    auth = { username: v.user.slice(0, colon), password: v.user.slice(colon + 1) }
    if (v['auth-mech'] !== undefined) auth.mechanisms = authMechanisms(v['auth-mech'])
  } else if (v['auth-mech'] !== undefined) throw new UsageError('--auth-mech needs --user')
  let ca: Buffer | undefined
  if (v.ca !== undefined) {
    try {
      ca = readFileSync(v.ca)
    } catch (e) {
      throw new InputError(`cannot read ${v.ca}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  const message = await readMessage(positionals[0])

  const connectSmtp = await loadClient()
  let session
  try {
    session = await connectSmtp({
      host,
      port,
      security: v.tls ? 'implicit' : v.starttls ? 'starttls' : 'none',
      verify: v['tls-insecure'] !== true,
      ...(ca !== undefined ? { ca } : {}),
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
    if (msg.startsWith('invalid client options')) throw new UsageError(msg.replace(/\n/g, '; '))
    process.stderr.write(`smtpure send: cannot connect to ${host}:${port}: ${msg}\n`)
    return EX_TEMPFAIL
  }
  try {
    await session.ready
    const result = await session.send({ envelope: { from: v.from === '' ? null : v.from, to: v.to }, body: message })
    for (const r of result.recipients) process.stdout.write(`${r.address} ${replyText(r.reply) || r.status}\n`)
    // LMTP answers per recipient: when the connection ends between those answers, the message as a whole is
    // not accepted, whatever the first answers said
    const status =
      result.status === 'accepted' && result.recipients.some((r) => r.status === 'unknown') ? 'unknown' : result.status
    if (result.error !== undefined) process.stdout.write(`message ${status}: ${describeClientError(result.error)}\n`)
    else if (result.status === 'unknown')
      process.stdout.write('message unknown: the connection ended after the data; it may have been delivered\n')
    else if (result.reply !== undefined) process.stdout.write(`message ${result.status}: ${replyText(result.reply)}\n`)
    else {
      // no reply of its own: every recipient was refused, or LMTP answered per recipient (above)
      const accepted = result.recipients.filter((r) => r.status === 'accepted').length
      process.stdout.write(`message ${result.status}: ${accepted} of ${result.recipients.length} recipients accepted\n`)
    }
    await session.quit().catch(() => undefined)
    return exitCode(result)
  } catch (e) {
    if (!(e instanceof SmtpClientError)) throw e
    process.stderr.write(`smtpure send: ${describeClientError(e.error)}\n`)
    return failureCode(e.error)
  }
}

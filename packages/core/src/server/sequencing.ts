// Command sequencing in one place (RFC 5321 4.1.4, 4.3.2; RFC 3030 2; RFC 4954 4; RFC 3207 4):
// which verbs each command phase accepts and where a success leads. Everything else gets its 503
// from `outOfSequence`. docs/architecture.md draws its state diagram from this table.
import { Replies, type Reply, reply } from '../Reply.js'

export const verbs = [
  'HELO',
  'EHLO',
  'LHLO',
  'MAIL',
  'RCPT',
  'DATA',
  'BDAT',
  'RSET',
  'NOOP',
  'QUIT',
  'VRFY',
  'EXPN',
  'HELP',
  'STARTTLS',
  'AUTH',
  'XCLIENT',
] as const
export type Verb = (typeof verbs)[number]

/**
 * `c` with its 0x20 bit set: an ASCII letter in lower case. Only the two cases of a letter become that lower-case
 * letter, so comparing folded octets with a letter is case-blind in ASCII only (RFC 5321 2.4): `QUıT` is not QUIT.
 */
const lower = (c: number): number => c | 0x20

/**
 * The verb that `buf[start..end)`, a command line without its line ending, begins with: its first word (up to the
 * first space or the end) in any ASCII case, or undefined. Read from the octets, so that no word is cut, upper-cased
 * and hashed for every line; the verb comes back as the one string of `verbs`, so every later comparison and table
 * lookup by it (`accepts`, `switch`) matches by identity.
 */
export const verbAt = (buf: Uint8Array, start: number, end: number): Verb | undefined => {
  let n = 0
  while (start + n < end && buf[start + n] !== 0x20) if (++n > 8) return undefined
  const b = (i: number): number => lower(buf[start + i]!)
  if (n === 4) {
    const w = ((b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3)) >>> 0
    return verbByWord.get(w)
  }
  if (n === 8) return spells(buf, start, 'starttls') ? 'STARTTLS' : undefined
  if (n === 7) return spells(buf, start, 'xclient') ? 'XCLIENT' : undefined
  return undefined
}

/** Do the octets at `start` spell `word` (lower-case letters) in any ASCII case? */
const spells = (buf: Uint8Array, start: number, word: string): boolean => {
  for (let i = 0; i < word.length; i++) if (lower(buf[start + i]!) !== word.charCodeAt(i)) return false
  return true
}

/** The four-letter verbs by their lower-case octets read as one big-endian number. */
const verbByWord: ReadonlyMap<number, Verb> = new Map(
  verbs
    .filter((v) => v.length === 4)
    .map((v) => [
      ((lower(v.charCodeAt(0)) << 24) |
        (lower(v.charCodeAt(1)) << 16) |
        (lower(v.charCodeAt(2)) << 8) |
        lower(v.charCodeAt(3))) >>>
        0,
      v,
    ]),
)

/** The phases in which a line is a command. */
export type CommandPhase = 'Refused' | 'AwaitHello' | 'Idle' | 'Envelope'

/** Phase names a success can lead to, including the phases that are not command phases. */
export type Target = CommandPhase | 'Data' | 'Bdat' | 'Sasl' | 'TlsWait' | 'Closed'

const anytime = { NOOP: 'same', QUIT: 'Closed', HELP: 'same', VRFY: 'same', EXPN: 'same' } as const

/** For each command phase, the verbs it accepts and the phase a success leads to ('same' stays). */
export const transitions: Record<CommandPhase, Partial<Record<Verb, Target | 'same'>>> = {
  Refused: { QUIT: 'Closed' },
  AwaitHello: { ...anytime, HELO: 'Idle', EHLO: 'Idle', LHLO: 'Idle', RSET: 'same', XCLIENT: 'AwaitHello' },
  Idle: {
    ...anytime,
    HELO: 'Idle',
    EHLO: 'Idle',
    LHLO: 'Idle',
    RSET: 'same',
    MAIL: 'Envelope',
    STARTTLS: 'TlsWait',
    AUTH: 'Sasl',
    XCLIENT: 'AwaitHello', // back to the greeting stage (XCLIENT_README)
  },
  Envelope: {
    ...anytime,
    HELO: 'Idle',
    EHLO: 'Idle',
    LHLO: 'Idle',
    RSET: 'Idle',
    RCPT: 'Envelope',
    DATA: 'Data',
    BDAT: 'Bdat',
  },
}

// XCLIENT_README: not between MAIL and the end of the transaction
const xclientInTransaction = reply(503, '5.5.1', 'Mail transaction in progress')

/** Does this phase accept this verb? */
export const accepts = (phase: CommandPhase, verb: Verb): boolean => transitions[phase][verb] !== undefined

/** The 503 reply for a verb the phase does not accept, worded for the case and protocol (RFC 5321 4.1.4). */
export const outOfSequence = (phase: CommandPhase, verb: Verb, lmtp = false): Reply => {
  if (phase === 'Refused') return Replies.refused
  // RFC 2033 4.1: an LMTP client greets with LHLO only.
  if (phase === 'AwaitHello') return lmtp ? Replies.needLhlo : Replies.needHello
  if (phase === 'Idle' && (verb === 'RCPT' || verb === 'DATA' || verb === 'BDAT')) return Replies.needMail
  if (phase === 'Envelope' && verb === 'MAIL') return Replies.nestedMail
  if (phase === 'Envelope' && verb === 'AUTH') return Replies.authInTransaction
  if (phase === 'Envelope' && verb === 'XCLIENT') return xclientInTransaction
  return Replies.badSequence
}

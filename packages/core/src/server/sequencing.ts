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

const verbByName: ReadonlyMap<string, Verb> = new Map(verbs.map((v) => [v, v]))

/**
 * The verb `word` names (upper case), or undefined. The verb comes back as the one string of this table, not as
 * the word cut from the line: every later comparison and table lookup by it (`accepts`, `switch`) then matches
 * by identity instead of comparing characters or hashing a new string.
 */
export const verbNamed = (word: string): Verb | undefined => verbByName.get(word)

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

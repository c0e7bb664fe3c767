// The command-argument grammar: paths, domains, ESMTP parameters and xtext.
// RFC 5321 4.1.2-4.1.3 and 4.5.3.1, RFC 6531 3.3, RFC 3461 4, RFC 1870, RFC 6152, RFC 3030, RFC 4954 5, RFC 8689.

export type { GrammarError } from './GrammarError.js'
export { formatPath, mailboxText, parseMailFrom, parseRcptTo, type Mailbox, type ReversePath } from './address.js'
export {
  canonicalMailbox,
  isPostmaster,
  mailboxKey,
  parseMailbox,
  sameMailbox,
  type LocalPartComparison,
} from './canonical.js'
export { punycodeEncode } from './punycode.js'
export { parseDomainArg, type HelloVerb } from './domain.js'
export {
  formatMailParams,
  formatRcptParams,
  mailParams,
  parseParams,
  rcptParams,
  type BodyType,
  type EsmtpParam,
  type MailParams,
  type NotifyCondition,
  type ParamSupport,
  type RcptParams,
} from './params.js'
export { xtextDecode, xtextEncode } from './xtext.js'

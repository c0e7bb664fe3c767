// Per-recipient and per-message results of a transaction: 2yz accepted, 4yz temporary, 5yz permanent
// (RFC 5321 4.2.1); in LMTP one reply per accepted recipient after the data (RFC 2033 4.2); a connection
// lost after the end of the data leaves the outcome unknown, never accepted (RFC 5321 6.1).
import { type Reply, isPositive } from '../Reply.js'
import type { ClientError, DeliveryStatus, RecipientOutcome } from './Output.js'
import { messageResult, recipientResult, type ClientOutput } from './Output.js'
import type { Tx } from './State.js'

/** How a transaction ended. */
export type Ending =
  /** The end of the data was sent: its reply (SMTP) or replies (LMTP) so far; missing ones are unknown. */
  | { readonly _tag: 'Replied'; readonly replies: ReadonlyArray<Reply>; readonly error: ClientError | undefined }
  /** It ended before the end of the data; recipients accepted so far share `reply` (or `status` without one). */
  | {
      readonly _tag: 'Failed'
      readonly reply: Reply | undefined
      readonly status: DeliveryStatus
      readonly error: ClientError | undefined
    }

/** RFC 5321 4.2.1: the first digit says it all. Only a 5yz makes a failure permanent; anything else is worth a retry. */
export const statusOf = (r: Reply): DeliveryStatus =>
  r.code >= 200 && r.code < 300 ? 'accepted' : r.code >= 500 && r.code < 600 ? 'permanent' : 'temporary'

/**
 * A refused RCPT's status: as `statusOf`, but 552 is temporary. RFC 821 listed 552 for "too many recipients",
 * which RFC 5321 4.5.3.1.10 makes 452 and asks clients to take a 552 to RCPT as temporary, so that the recipients
 * past a server's limit are tried again, not bounced.
 */
export const rcptStatusOf = (r: Reply): DeliveryStatus => (r.code === 552 ? 'temporary' : statusOf(r))

/** MAIL succeeded and at least one RCPT did: there is someone to send the data to. */
export const hasRecipients = (tx: Tx): boolean =>
  tx.mail !== undefined && isPositive(tx.mail) && tx.rcpts.some(isPositive)

/** In LMTP, how many replies follow the end of the data: one per accepted recipient (RFC 2033 4.2). */
export const acceptedCount = (tx: Tx): number => tx.rcpts.filter(isPositive).length

const outcome = (
  address: string,
  status: DeliveryStatus,
  reply: Reply | undefined,
  afterData = false,
): RecipientOutcome => ({ address, status, reply, afterData })

const fromEnding = (address: string, ending: Ending, lmtp: boolean, k: number): RecipientOutcome => {
  if (ending._tag === 'Failed')
    return outcome(address, ending.reply === undefined ? ending.status : statusOf(ending.reply), ending.reply)
  // SMTP: one reply for the whole message. LMTP: the k-th reply is the k-th accepted recipient's.
  const r = ending.replies[lmtp ? k : 0]
  return r === undefined ? outcome(address, 'unknown', undefined) : outcome(address, statusOf(r), r, true)
}

/** Each recipient's result, in the order given. */
export const outcomes = (tx: Tx, ending: Ending, lmtp: boolean): ReadonlyArray<RecipientOutcome> => {
  // Without a sender nothing else counts: every recipient shares the MAIL reply (RFC 5321 3.3).
  const mail = tx.mail
  if (mail !== undefined && !isPositive(mail)) return tx.addresses.map((a) => outcome(a, statusOf(mail), mail))
  let k = 0
  return tx.addresses.map((address, i) => {
    const r = tx.rcpts[i]
    if (r !== undefined && !isPositive(r)) return outcome(address, rcptStatusOf(r), r)
    if (r === undefined)
      return ending._tag === 'Failed' ? fromEnding(address, ending, lmtp, 0) : outcome(address, 'temporary', undefined)
    return fromEnding(address, ending, lmtp, k++)
  })
}

const precedence: ReadonlyArray<DeliveryStatus> = ['accepted', 'unknown', 'temporary', 'permanent']

/** The message's status: the best any recipient got. */
const overall = (rs: ReadonlyArray<RecipientOutcome>): DeliveryStatus =>
  precedence.find((p) => rs.some((r) => r.status === p)) ?? 'permanent'

/** Emit one RecipientResult per recipient, then the MessageResult. */
export const emitResults = (out: { push(o: ClientOutput): void }, tx: Tx, ending: Ending, lmtp: boolean): void => {
  const recipients = outcomes(tx, ending, lmtp)
  for (const r of recipients) out.push(recipientResult(tx.id, r))
  const mailFailed = tx.mail !== undefined && !isPositive(tx.mail)
  const reply = mailFailed ? tx.mail : ending._tag === 'Failed' ? ending.reply : lmtp ? undefined : ending.replies[0]
  const result = { id: tx.id, status: overall(recipients), reply, error: ending.error, recipients }
  out.push(messageResult(tx.dsnOmitted ? { ...result, dsnOmitted: true } : result))
}

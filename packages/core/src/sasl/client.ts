// The client side of each SASL exchange (RFC 4954 4) as pure steps over decoded bytes: PLAIN (RFC 4616 2),
// LOGIN, CRAM-MD5 (RFC 2195 2) and XOAUTH2, plus the choice of mechanism from the server's EHLO AUTH list.

import { concat, encode, encodeUtf8 } from '../wire/bytes.js'
import { parseMechanism, type Mechanism } from './Mechanism.js'
import { hmacMd5, toHex } from './md5.js'

/** What the client authenticates with: a password for PLAIN, LOGIN and CRAM-MD5, a token for XOAUTH2. */
export interface SaslSecret {
  readonly username: string
  readonly password?: string
  readonly token?: string
  /** Identity to act as (RFC 4616 2); only PLAIN can carry it. */
  readonly authzid?: string
}

/** Where a client exchange stands: what it says to the next server challenge. */
export type SaslClientState =
  | { readonly _tag: 'Unusable'; readonly reason: string }
  | { readonly _tag: 'Initial'; readonly mechanism: 'PLAIN' | 'XOAUTH2'; readonly initial: Uint8Array }
  | { readonly _tag: 'XOAuth2Sent' }
  | { readonly _tag: 'LoginUsername'; readonly username: string; readonly password: string }
  | { readonly _tag: 'LoginPassword'; readonly password: string }
  | { readonly _tag: 'CramMd5'; readonly username: string; readonly password: string }
  | { readonly _tag: 'Finished' }

/** One client step: `Respond` sends `response` base64-encoded; `Failed` means cancel the exchange with "*". */
export type SaslClientStep =
  | { readonly _tag: 'Respond'; readonly response: Uint8Array; readonly state: SaslClientState }
  | { readonly _tag: 'Failed'; readonly reason: string }

const respond = (response: Uint8Array, state: SaslClientState): SaslClientStep => ({ _tag: 'Respond', response, state })
const failed = (reason: string): SaslClientStep => ({ _tag: 'Failed', reason })

const empty = new Uint8Array(0)
const nul = Uint8Array.of(0)

const nonEmpty = (text: string | undefined): text is string => text !== undefined && text.length > 0

/**
 * Why `secret` cannot serve `mechanism`, or undefined when it can. A password mechanism needs a non-empty
 * password, XOAUTH2 a non-empty token; only PLAIN can carry an authzid, so a secret with one fits nothing else.
 */
export const secretProblem = (mechanism: Mechanism, secret: SaslSecret): string | undefined => {
  const { username, password, token, authzid } = secret
  if (username.length === 0) return 'the username is empty'
  if (username.includes('\0')) return 'the username holds NUL'
  if (nonEmpty(authzid) && mechanism !== 'PLAIN') return `${mechanism} cannot carry an authzid`
  if (mechanism === 'XOAUTH2') {
    if (!nonEmpty(token)) return 'XOAUTH2 needs a token'
    // The ^A separators of XOAUTH2 cannot appear inside its fields.
    if (username.includes('\x01') || token.includes('\x01')) return 'XOAUTH2 fields cannot hold ^A'
    return undefined
  }
  if (!nonEmpty(password)) return `${mechanism} needs a password`
  // RFC 4616 2: NUL separates the PLAIN fields, so none may contain one; LOGIN servers refuse it too.
  if (mechanism !== 'CRAM-MD5' && (password.includes('\0') || (authzid ?? '').includes('\0'))) {
    return `${mechanism} fields cannot hold NUL`
  }
  return undefined
}

/**
 * Start a client exchange. PLAIN and XOAUTH2 return an initial response for the AUTH command (RFC 4954 4;
 * an empty one must be sent as "="); if the session leaves it out, say for line length, the server's empty
 * challenge gets it instead. LOGIN and CRAM-MD5 have none. A secret that cannot serve the mechanism yields no
 * initial response and a state whose first step fails.
 */
export const saslClientStart = (
  mechanism: Mechanism,
  secret: SaslSecret,
): { readonly initial: Uint8Array | undefined; readonly state: SaslClientState } => {
  const problem = secretProblem(mechanism, secret)
  if (problem !== undefined) return { initial: undefined, state: { _tag: 'Unusable', reason: problem } }
  const { username } = secret
  const password = secret.password ?? ''
  switch (mechanism) {
    case 'PLAIN': {
      // RFC 4616 2: [authzid] NUL authcid NUL passwd, all UTF-8.
      const authzid = encodeUtf8(secret.authzid ?? '')
      const initial = concat([authzid, nul, encodeUtf8(username), nul, encodeUtf8(password)])
      return { initial, state: { _tag: 'Initial', mechanism, initial } }
    }
    case 'XOAUTH2': {
      const initial = encodeUtf8(`user=${username}\x01auth=Bearer ${secret.token ?? ''}\x01\x01`)
      return { initial, state: { _tag: 'Initial', mechanism, initial } }
    }
    case 'LOGIN':
      return { initial: undefined, state: { _tag: 'LoginUsername', username, password } }
    case 'CRAM-MD5':
      return { initial: undefined, state: { _tag: 'CramMd5', username, password } }
  }
}

/** Answer the decoded server `challenge` (the text of a 334 reply, base64-decoded). */
export const saslClientNext = (state: SaslClientState, challenge: Uint8Array): SaslClientStep => {
  switch (state._tag) {
    case 'Unusable':
      return failed(state.reason)
    case 'Initial':
      // RFC 4954 4: an empty challenge asks for the initial response the AUTH command did not carry.
      if (challenge.length === 0) {
        return respond(state.initial, state.mechanism === 'XOAUTH2' ? { _tag: 'XOAuth2Sent' } : { _tag: 'Finished' })
      }
      if (state.mechanism === 'PLAIN') return failed('unexpected PLAIN challenge')
      // XOAUTH2: a challenge after the token carries a JSON error; the client acknowledges it with nothing.
      return respond(empty, { _tag: 'Finished' })
    case 'XOAuth2Sent':
      return respond(empty, { _tag: 'Finished' })
    case 'LoginUsername':
      // LOGIN asks for the user name, then the password; the prompt texts vary, so only the order counts.
      return respond(encodeUtf8(state.username), { _tag: 'LoginPassword', password: state.password })
    case 'LoginPassword':
      return respond(encodeUtf8(state.password), { _tag: 'Finished' })
    case 'CramMd5': {
      // RFC 2195 2: username SP lowercase hex of HMAC-MD5 keyed by the password over the challenge.
      if (challenge.length === 0) return failed('empty CRAM-MD5 challenge')
      const digest = toHex(hmacMd5(encodeUtf8(state.password), challenge))
      return respond(concat([encodeUtf8(state.username), encode(' '), encode(digest)]), { _tag: 'Finished' })
    }
    case 'Finished':
      return failed('unexpected challenge after the last response')
  }
}

/** Strongest first: a token beats a challenge-response digest, which beats a cleartext password. */
const preference: ReadonlyArray<Mechanism> = ['XOAUTH2', 'CRAM-MD5', 'PLAIN', 'LOGIN']

/**
 * The strongest mechanism the server offers (names from EHLO AUTH, any case, RFC 4954 3), the caller allows
 * and `secret` can serve: XOAUTH2, CRAM-MD5, PLAIN, LOGIN. Undefined when none fits.
 */
export const chooseMechanism = (
  offered: ReadonlyArray<string>,
  allowed: ReadonlyArray<Mechanism>,
  secret: SaslSecret,
): Mechanism | undefined => {
  const names = offered.map(parseMechanism)
  return preference.find((m) => names.includes(m) && allowed.includes(m) && secretProblem(m, secret) === undefined)
}

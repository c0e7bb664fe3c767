// The server side of each SASL exchange (RFC 4954 4) as pure steps over decoded bytes: PLAIN (RFC 4616 2),
// LOGIN, CRAM-MD5 (RFC 2195 2) and XOAUTH2. The SMTP session does the base64, the "*" cancel and the 334 lines.

import { asciiLower } from '../grammar/chars.js'
import { decodeUtf8, encode, encodeUtf8 } from '../wire/bytes.js'
import type { Mechanism } from './Mechanism.js'
import { hmacMd5, toHex } from './md5.js'

/** What a finished exchange hands the application to verify. Values may hold any UTF-8 except NUL. */
export type Credentials =
  | { readonly mechanism: 'PLAIN'; readonly authzid: string; readonly username: string; readonly password: string }
  | { readonly mechanism: 'LOGIN'; readonly username: string; readonly password: string }
  | { readonly mechanism: 'CRAM-MD5'; readonly username: string; readonly challenge: string; readonly digest: string }
  | { readonly mechanism: 'XOAUTH2'; readonly username: string; readonly token: string }

/** Where a server exchange waits: which client response comes next. */
export type SaslServerState =
  | { readonly _tag: 'PlainResponse' }
  | { readonly _tag: 'LoginUsername' }
  | { readonly _tag: 'LoginPassword'; readonly username: string }
  | { readonly _tag: 'CramMd5Response'; readonly challenge: string }
  | { readonly _tag: 'XOAuth2Response' }

/**
 * One server step. `Challenge`: send `challenge` as a 334 base64 line and feed the answer to `saslServerNext`.
 * `Done`: verify `credentials`. `Failed`: the client data was malformed; `reason` is ASCII without CR/LF, fit
 * for a 501 reply, and `enhanced` its enhanced code (RFC 4954 4: 5.5.2 for data that does not decode, 5.7.0 for
 * an initial response to a mechanism where the server speaks first).
 */
export type SaslServerStep =
  | { readonly _tag: 'Challenge'; readonly state: SaslServerState; readonly challenge: Uint8Array }
  | { readonly _tag: 'Done'; readonly credentials: Credentials }
  | { readonly _tag: 'Failed'; readonly reason: string; readonly enhanced: '5.5.2' | '5.7.0' }

const challenge = (state: SaslServerState, bytes: Uint8Array): SaslServerStep => ({
  _tag: 'Challenge',
  state,
  challenge: bytes,
})
const done = (credentials: Credentials): SaslServerStep => ({ _tag: 'Done', credentials })
const failed = (reason: string, enhanced: '5.5.2' | '5.7.0' = '5.5.2'): SaslServerStep => ({
  _tag: 'Failed',
  reason,
  enhanced,
})

const empty = new Uint8Array(0)
const NUL = 0

/** RFC 4616 2: servers must take fields of up to 255 octets; this server takes no more. */
const plainFieldLimit = 255

const plain = (message: Uint8Array): SaslServerStep => {
  // RFC 4616 2: message = [authzid] NUL authcid NUL passwd.
  const first = message.indexOf(NUL)
  const second = first < 0 ? -1 : message.indexOf(NUL, first + 1)
  if (second < 0) return failed('PLAIN response must be authzid NUL authcid NUL passwd')
  // RFC 4616 2: no field may itself hold a NUL, so a third one is malformed.
  if (message.indexOf(NUL, second + 1) >= 0) return failed('PLAIN fields must not contain NUL')
  const fields = [message.subarray(0, first), message.subarray(first + 1, second), message.subarray(second + 1)]
  if (fields.some((f) => f.length > plainFieldLimit)) return failed('PLAIN fields are limited to 255 octets')
  // RFC 4616 2: authcid and passwd are each at least one character; authzid may be empty.
  if (fields[1]!.length === 0) return failed('PLAIN authentication identity is empty')
  if (fields[2]!.length === 0) return failed('PLAIN password is empty')
  // RFC 4616 2: every field is UTF-8.
  const [authzid, username, password] = fields.map((f) => decodeUtf8(f))
  if (authzid === undefined || username === undefined || password === undefined) {
    return failed('PLAIN response is not valid UTF-8')
  }
  return done({ mechanism: 'PLAIN', authzid, username, password })
}

/** A LOGIN field: non-empty UTF-8 without NUL, or undefined. */
const loginField = (bytes: Uint8Array): string | undefined =>
  bytes.length === 0 || bytes.includes(NUL) ? undefined : decodeUtf8(bytes)

const loginUsername = (response: Uint8Array): SaslServerStep => {
  const username = loginField(response)
  if (username === undefined) return failed('LOGIN username must be non-empty UTF-8 without NUL')
  return challenge({ _tag: 'LoginPassword', username }, encode('Password:'))
}

const loginPassword = (username: string, response: Uint8Array): SaslServerStep => {
  const password = loginField(response)
  if (password === undefined) return failed('LOGIN password must be non-empty UTF-8 without NUL')
  return done({ mechanism: 'LOGIN', username, password })
}

const hexDigest = /^[0-9a-fA-F]{32}$/

const cramMd5 = (challengeText: string, response: Uint8Array): SaslServerStep => {
  // RFC 2195 2: the answer is the user name, a space, then the digest as 32 lowercase hex digits.
  const text = decodeUtf8(response)
  if (text === undefined) return failed('CRAM-MD5 response is not valid UTF-8')
  // The digest never holds a space, so the last space splits; a user name may then contain spaces.
  const space = text.lastIndexOf(' ')
  const username = text.slice(0, Math.max(space, 0))
  const digest = text.slice(space + 1)
  if (space < 0 || !hexDigest.test(digest)) return failed('CRAM-MD5 response must be username SP 32 hex digits')
  if (username.length === 0 || username.includes('\0')) return failed('CRAM-MD5 username is empty or holds NUL')
  // Lenient on the case of hex digits; the credentials always carry lowercase.
  return done({ mechanism: 'CRAM-MD5', username, challenge: challengeText, digest: digest.toLowerCase() })
}

/** RFC 6750 2.1: a bearer token is b64token, letters, digits and -._~+/ followed by any '='. */
const b64token = /^[A-Za-z0-9\-._~+/]+=*$/
const bearer = /^bearer /i

const xoauth2 = (response: Uint8Array): SaslServerStep => {
  // XOAUTH2 (Google's documentation): "user=" user ^A "auth=Bearer " token ^A ^A.
  const text = decodeUtf8(response)
  if (text === undefined) return failed('XOAUTH2 response is not valid UTF-8')
  const malformed = failed('XOAUTH2 response must be user=NAME^Aauth=Bearer TOKEN^A^A')
  if (!text.endsWith('\x01\x01')) return malformed
  const parts = text.slice(0, -2).split('\x01')
  const [user, auth] = parts
  if (parts.length !== 2 || user === undefined || auth === undefined) return malformed
  if (!user.startsWith('user=') || !auth.startsWith('auth=')) return malformed
  const username = user.slice('user='.length)
  const scheme = auth.slice('auth='.length)
  if (username.length === 0 || username.includes('\0')) return failed('XOAUTH2 user is empty or holds NUL')
  // RFC 6750 2.1: the credentials are the scheme "Bearer" (any case, RFC 7235 2.1), one space, the token.
  if (!bearer.test(scheme)) return failed('XOAUTH2 auth must use the Bearer scheme')
  const token = scheme.slice('Bearer '.length)
  if (!b64token.test(token)) return failed('XOAUTH2 bearer token is malformed')
  return done({ mechanism: 'XOAUTH2', username, token })
}

/**
 * Start a server exchange for `mechanism`. `initial` is the decoded initial response of the AUTH command
 * (undefined when absent, empty when the client sent "="); `cramChallenge` is the CRAM-MD5 challenge the
 * session chose (RFC 2195 2, e.g. `<1896.697170952@host>`), ignored by the other mechanisms.
 */
export const saslServerStart = (
  mechanism: Mechanism,
  initial: Uint8Array | undefined,
  cramChallenge: string,
): SaslServerStep => {
  switch (mechanism) {
    case 'PLAIN':
      // RFC 4954 4: without an initial response, a mechanism that needs one gets an empty challenge.
      return initial === undefined ? challenge({ _tag: 'PlainResponse' }, empty) : plain(initial)
    case 'LOGIN':
      // LOGIN prompts "Username:" then "Password:"; an initial response stands for the user name.
      return initial === undefined ? challenge({ _tag: 'LoginUsername' }, encode('Username:')) : loginUsername(initial)
    case 'CRAM-MD5':
      // RFC 4954 4: the server speaks first in CRAM-MD5, so an initial response is refused (501).
      if (initial !== undefined) return failed('CRAM-MD5 does not take an initial response', '5.7.0')
      return challenge({ _tag: 'CramMd5Response', challenge: cramChallenge }, encodeUtf8(cramChallenge))
    case 'XOAUTH2':
      return initial === undefined ? challenge({ _tag: 'XOAuth2Response' }, empty) : xoauth2(initial)
  }
}

/** Feed the decoded client response to the challenge `state` came with. */
export const saslServerNext = (state: SaslServerState, response: Uint8Array): SaslServerStep => {
  switch (state._tag) {
    case 'PlainResponse':
      return plain(response)
    case 'LoginUsername':
      return loginUsername(response)
    case 'LoginPassword':
      return loginPassword(state.username, response)
    case 'CramMd5Response':
      return cramMd5(state.challenge, response)
    case 'XOAuth2Response':
      return xoauth2(response)
  }
}

/**
 * Does `digest` answer the CRAM-MD5 `challenge` for `password` (RFC 2195 2)? Hex case is ignored. The
 * comparison looks at every digit whatever the first difference, so its time does not reveal where it lies.
 */
export const verifyCramMd5 = (password: string, challenge: string, digest: string): boolean => {
  const expected = toHex(hmacMd5(encodeUtf8(password), encodeUtf8(challenge)))
  const given = asciiLower(digest)
  if (given.length !== expected.length) return false
  let difference = 0
  for (let i = 0; i < expected.length; i++) difference |= expected.charCodeAt(i) ^ given.charCodeAt(i)
  return difference === 0
}

/**
 * The XOAUTH2 failure challenge: JSON `{"status", "schemes", "scope"}` a server sends in a 334 once it has
 * refused the token; the client answers with an empty line and the server then fails the AUTH command.
 */
export const xoauth2ErrorChallenge = (status: string, scope?: string): Uint8Array =>
  encodeUtf8(JSON.stringify(scope === undefined ? { status, schemes: 'Bearer' } : { status, schemes: 'Bearer', scope }))

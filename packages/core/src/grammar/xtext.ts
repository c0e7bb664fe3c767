// xtext, the encoding that lets ESMTP parameter values carry any octet (ENVID, ORCPT, AUTH=).
// Implements RFC 3461 4 (xchar, hexchar); RFC 4954 5 reuses it for the AUTH= MAIL parameter.

import { decodeUtf8, encodeUtf8 } from '../wire/bytes.js'

const PLUS = 0x2b
const EQUALS = 0x3d

/** `xchar` of RFC 3461 4: printable ASCII from `!` to `~` except `+` and `=`. */
const isXchar = (c: number): boolean => c >= 33 && c <= 126 && c !== PLUS && c !== EQUALS

/** Value of an upper-case hex digit, or undefined; hexchar digits must be upper case (RFC 3461 4). */
const upperHexValue = (c: number): number | undefined => {
  if (c >= 0x30 && c <= 0x39) return c - 0x30
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10
  return undefined
}

/** `+` and two upper-case hex digits: the `hexchar` of RFC 3461 4. */
const hexchar = (octet: number): string => '+' + octet.toString(16).toUpperCase().padStart(2, '0')

/**
 * Encode text as xtext. The text is first encoded as UTF-8; every octet that is an xchar is written as
 * itself and every other octet (space, controls, `+`, `=`, non-ASCII) as a hexchar (RFC 3461 4).
 * Lone surrogates cannot be encoded and become U+FFFD.
 */
export const xtextEncode = (s: string): string => {
  let out = ''
  for (const octet of encodeUtf8(s)) out += isXchar(octet) ? String.fromCharCode(octet) : hexchar(octet)
  return out
}

/**
 * Decode xtext. Returns undefined when the input is not xtext: a `+` that is not followed by two upper-case
 * hex digits, a raw `=`, or a character outside `!`..`~` (RFC 3461 4). The decoded octets are read as UTF-8;
 * octets that are not well-formed UTF-8 also give undefined.
 */
export const xtextDecode = (s: string): string | undefined => {
  const octets: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === PLUS) {
      const high = upperHexValue(s.charCodeAt(i + 1))
      const low = upperHexValue(s.charCodeAt(i + 2))
      // A hexchar is "+" and exactly two upper-case hex digits (RFC 3461 4).
      if (high === undefined || low === undefined) return undefined
      octets.push(high * 16 + low)
      i += 2
    } else if (isXchar(c)) {
      octets.push(c)
    } else {
      // Anything else (space, controls, "=", non-ASCII) must have been hex-encoded (RFC 3461 4).
      return undefined
    }
  }
  return decodeUtf8(Uint8Array.from(octets))
}

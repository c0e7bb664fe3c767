// The SASL mechanisms this library speaks over SMTP AUTH (RFC 4954 3 and 4): their names and parsing.
// PLAIN is RFC 4616, CRAM-MD5 RFC 2195; LOGIN and XOAUTH2 are deployed but unstandardised.

import { asciiUpper } from '../grammar/chars.js'

/** A SASL mechanism name as it appears in EHLO `AUTH` and the `AUTH` command. */
export type Mechanism = 'PLAIN' | 'LOGIN' | 'CRAM-MD5' | 'XOAUTH2'

/** Every supported mechanism. */
export const mechanisms: ReadonlyArray<Mechanism> = ['PLAIN', 'LOGIN', 'CRAM-MD5', 'XOAUTH2']

/** A mechanism name, compared case-insensitively (SASL names are upper case, RFC 4422 3.1); undefined if unknown. */
export const parseMechanism = (name: string): Mechanism | undefined => {
  const upper = asciiUpper(name)
  return mechanisms.find((m) => m === upper)
}
